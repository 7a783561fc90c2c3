//! SQLite's own FTS5 `porter unicode61` tokenizer, called from Rust, so that the in-memory
//! search index splits, folds and stems text exactly as the FTS5 table of earlier versions did.

use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr;
use std::sync::Mutex;

use rusqlite::ffi;
use rusqlite::Connection;

fn failure(rc: c_int, what: &str) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(ffi::Error::new(rc), Some(what.to_owned()))
}

/// The connection's `fts5_api` (valid as long as the connection is open).
pub fn fts5_api(conn: &Connection) -> rusqlite::Result<*mut ffi::fts5_api> {
    // SAFETY: the raw handle is used only during this call, on the thread owning `conn`.
    unsafe {
        let db = conn.handle();
        let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
        let rc = ffi::sqlite3_prepare_v2(
            db,
            c"SELECT fts5(?1)".as_ptr(),
            -1,
            &mut stmt,
            ptr::null_mut(),
        );
        if rc != ffi::SQLITE_OK {
            return Err(failure(rc, "FTS5 is not available"));
        }
        let mut api: *mut ffi::fts5_api = ptr::null_mut();
        ffi::sqlite3_bind_pointer(
            stmt,
            1,
            &mut api as *mut *mut ffi::fts5_api as *mut c_void,
            c"fts5_api_ptr".as_ptr(),
            None,
        );
        ffi::sqlite3_step(stmt);
        ffi::sqlite3_finalize(stmt);
        if api.is_null() {
            return Err(failure(
                ffi::SQLITE_ERROR,
                "could not obtain the fts5_api pointer",
            ));
        }
        Ok(api)
    }
}

/// One tokenizer object (not thread-safe: SQLite's porter stemmer keeps a buffer).
struct Instance {
    module: ffi::fts5_tokenizer,
    tok: *mut ffi::Fts5Tokenizer,
}

// SAFETY: an instance is used by one thread at a time (it lives in a Mutex'd pool).
unsafe impl Send for Instance {}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(delete) = self.module.xDelete {
            // SAFETY: `tok` was made by this module's xCreate and is deleted once.
            unsafe { delete(self.tok) };
        }
    }
}

unsafe extern "C" fn push_token(
    ctx: *mut c_void,
    _flags: c_int,
    token: *const c_char,
    n: c_int,
    _start: c_int,
    _end: c_int,
) -> c_int {
    // SAFETY: `ctx` is the `&mut Vec<String>` given to xTokenize; `token` has `n` bytes.
    unsafe {
        let out = &mut *(ctx as *mut Vec<String>);
        let bytes = std::slice::from_raw_parts(token as *const u8, n.max(0) as usize);
        out.push(String::from_utf8_lossy(bytes).into_owned());
    }
    ffi::SQLITE_OK
}

/// A pool of `porter unicode61` tokenizers. Must be dropped before the connection it was made
/// from is closed.
pub struct Tokenizer {
    module: ffi::fts5_tokenizer,
    user_data: *mut c_void,
    pool: Mutex<Vec<Instance>>,
    /// Stem of an irregular form -> stem of its base form (`crate::irregular`).
    forms: HashMap<String, String>,
}

// SAFETY: `module` holds plain C function pointers and `user_data` is SQLite's FTS5 global,
// which lives as long as the connection; instances are handed out under the pool's mutex.
unsafe impl Send for Tokenizer {}
unsafe impl Sync for Tokenizer {}

impl Tokenizer {
    pub fn new(conn: &Connection) -> rusqlite::Result<Tokenizer> {
        let api = fts5_api(conn)?;
        let mut module = ffi::fts5_tokenizer {
            xCreate: None,
            xDelete: None,
            xTokenize: None,
        };
        let mut user_data: *mut c_void = ptr::null_mut();
        // SAFETY: `api` is valid while `conn` is open; xFindTokenizer fills `module`.
        let rc = unsafe {
            let find = (*api)
                .xFindTokenizer
                .ok_or_else(|| failure(ffi::SQLITE_ERROR, "fts5_api has no xFindTokenizer"))?;
            find(api, c"porter".as_ptr(), &mut user_data, &mut module)
        };
        if rc != ffi::SQLITE_OK || module.xCreate.is_none() || module.xTokenize.is_none() {
            return Err(failure(rc, "the FTS5 porter tokenizer is not available"));
        }
        let mut tokenizer = Tokenizer {
            module,
            user_data,
            pool: Mutex::new(Vec::new()),
            forms: HashMap::new(),
        };
        let mut forms = HashMap::new();
        for &(form, base) in crate::irregular::FORMS {
            let (mut f, mut b) = (Vec::new(), Vec::new());
            tokenizer.stem(form, false, &mut f)?;
            tokenizer.stem(base, false, &mut b)?;
            if let ([f], [b]) = (&f[..], &b[..]) {
                if f != b {
                    forms.insert(f.clone(), b.clone());
                }
            }
        }
        tokenizer.forms = forms;
        Ok(tokenizer)
    }

    fn instance(&self) -> rusqlite::Result<Instance> {
        if let Some(i) = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop() {
            return Ok(i);
        }
        let create = self.module.xCreate.expect("checked in new");
        let parent: &CStr = c"unicode61";
        let mut args = [parent.as_ptr()];
        let mut tok: *mut ffi::Fts5Tokenizer = ptr::null_mut();
        // SAFETY: arguments as documented for fts5_tokenizer.xCreate.
        let rc = unsafe { create(self.user_data, args.as_mut_ptr(), 1, &mut tok) };
        if rc != ffi::SQLITE_OK || tok.is_null() {
            return Err(failure(rc, "could not create an FTS5 porter tokenizer"));
        }
        Ok(Instance {
            module: self.module,
            tok,
        })
    }

    /// Appends the tokens of `text` (as indexed in a document, or as in a query) to `out`, an
    /// irregular verb form or plural as its base form's.
    pub fn tokenize(&self, text: &str, query: bool, out: &mut Vec<String>) -> rusqlite::Result<()> {
        let start = out.len();
        self.stem(&crate::search::won_t(text), query, out)?;
        for token in &mut out[start..] {
            if let Some(base) = self.forms.get(token.as_str()) {
                token.clone_from(base);
            }
        }
        Ok(())
    }

    /// The porter tokens of `text`, as SQLite makes them.
    fn stem(&self, text: &str, query: bool, out: &mut Vec<String>) -> rusqlite::Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        let n = c_int::try_from(text.len())
            .map_err(|_| failure(ffi::SQLITE_TOOBIG, "text too long"))?;
        let inst = self.instance()?;
        let flags = if query {
            ffi::FTS5_TOKENIZE_QUERY
        } else {
            ffi::FTS5_TOKENIZE_DOCUMENT
        };
        let tokenize = inst.module.xTokenize.expect("checked in new");
        // SAFETY: `inst.tok` is a live tokenizer used by this thread only; `out` outlives the call.
        let rc = unsafe {
            tokenize(
                inst.tok,
                out as *mut Vec<String> as *mut c_void,
                flags,
                text.as_ptr() as *const c_char,
                n,
                Some(push_token),
            )
        };
        self.pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(inst);
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(failure(rc, "FTS5 tokenizer failed"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(tok: &Tokenizer, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        tok.tokenize(text, false, &mut out).unwrap();
        out
    }

    #[test]
    fn irregular_forms_stem_as_their_base_form() {
        let conn = Connection::open_in_memory().unwrap();
        let tok = Tokenizer::new(&conn).unwrap();
        assert_eq!(tokens(&tok, "I bought"), tokens(&tok, "I buy"));
        assert_eq!(
            tokens(&tok, "went chose children"),
            tokens(&tok, "go choosing child")
        );
        // Regular forms as the porter stemmer makes them; "won't" is not "won".
        assert_eq!(tokens(&tok, "walked"), ["walk"]);
        assert_eq!(tokens(&tok, "We won"), tokens(&tok, "we win"));
        assert_eq!(tokens(&tok, "I won't"), tokens(&tok, "I will not"));
        assert!(tok.forms.len() > 100);
    }
}
