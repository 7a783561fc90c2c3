//! The 0.2-only memory features (status filter and expire/restore, `recall/recent`,
//! `recall/all`, `remember/extract`, daily summary, conflicts, expiry policies), served in
//! Current and Both modes. Built on the `server-features` branch; empty until it lands.

use axum::Router;

use crate::state::AppState;

/// The 0.2-only feature routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
}
