//! The sessions a client made, so that deleting an agent or closing the client can make them
//! forget their tokens, and so that one agent has one live session per client on servers
//! where a new activation revokes the previous token. Knows sessions only through [`Tracked`],
//! so the client does not depend on the session module.

use std::any::Any;
use std::sync::{Arc, Mutex, Weak};

/// What the registry needs of a session.
pub trait Tracked: Any + Send + Sync {
    fn agent_id(&self) -> &str;
    /// Forget the token for good.
    fn forget(&self);
    /// Still holds a token.
    fn is_live(&self) -> bool;
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

#[derive(Default)]
pub struct Registry {
    sessions: Mutex<Vec<Weak<dyn Tracked>>>,
}

impl Registry {
    pub fn track(&self, session: Arc<dyn Tracked>) {
        let mut list = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        list.retain(|w| w.strong_count() > 0);
        list.push(Arc::downgrade(&session));
    }

    fn live(&self) -> Vec<Arc<dyn Tracked>> {
        let list = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        list.iter().filter_map(Weak::upgrade).collect()
    }

    /// Make every session (or only those of `agent_id`) forget its token.
    pub fn forget(&self, agent_id: Option<&str>) {
        for s in self.live() {
            if agent_id.is_none_or(|a| a == s.agent_id()) {
                s.forget();
            }
        }
    }

    /// The live session of `agent_id` of concrete type `T`, if any.
    pub fn live_session<T: Any + Send + Sync>(&self, agent_id: &str) -> Option<Arc<T>> {
        self.live()
            .into_iter()
            .filter(|s| s.agent_id() == agent_id && s.is_live())
            .find_map(|s| s.as_any().downcast::<T>().ok())
    }
}
