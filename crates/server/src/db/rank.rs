//! `memanto_rank(fts_table [, w_title, w_content, w_tags])`: an FTS5 auxiliary function, a
//! port of FTS5's built-in `bm25()` with two differences:
//!
//! * the IDF is Lucene's `ln(1 + (N - n + 0.5) / (n + 0.5))`, which stays positive, where
//!   `bm25()` clamps to 1e-6 any term found in more than half of the rows. With the small
//!   corpora of a local agent memory (often a handful of rows) `bm25()` scores collapse to
//!   ~0 and cannot be turned into a usable similarity;
//! * it returns the relevance as a positive number (higher is better).

use std::ffi::{c_int, c_void};
use std::ptr;

use rusqlite::ffi;
use rusqlite::Connection;

const K1: f64 = 1.2;
const B: f64 = 0.75;

/// Per-query statistics, computed on the first row and cached with `xSetAuxdata`.
struct RankData {
    avgdl: f64,
    idf: Vec<f64>,
    freq: Vec<f64>,
}

unsafe extern "C" fn count_rows(
    _api: *const ffi::Fts5ExtensionApi,
    _fts: *mut ffi::Fts5Context,
    user: *mut c_void,
) -> c_int {
    // SAFETY: `user` is the `&mut i64` passed to xQueryPhrase below.
    unsafe { *(user as *mut i64) += 1 };
    ffi::SQLITE_OK
}

unsafe extern "C" fn free_rank_data(p: *mut c_void) {
    if !p.is_null() {
        // SAFETY: `p` came from `Box::into_raw` in `rank_data`, and SQLite frees it once.
        drop(unsafe { Box::from_raw(p as *mut RankData) });
    }
}

fn ok(rc: c_int) -> Result<(), c_int> {
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(rc)
    }
}

/// SAFETY: `api` and `fts` must be the pointers SQLite passed to the auxiliary function.
unsafe fn rank_data(
    api: &ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
) -> Result<*mut RankData, c_int> {
    let (
        Some(get_aux),
        Some(set_aux),
        Some(phrase_count),
        Some(row_count),
        Some(total_size),
        Some(query_phrase),
    ) = (
        api.xGetAuxdata,
        api.xSetAuxdata,
        api.xPhraseCount,
        api.xRowCount,
        api.xColumnTotalSize,
        api.xQueryPhrase,
    )
    else {
        return Err(ffi::SQLITE_ERROR);
    };
    unsafe {
        let cached = get_aux(fts, 0) as *mut RankData;
        if !cached.is_null() {
            return Ok(cached);
        }
        let n_phrase = phrase_count(fts).max(0);
        let mut n_row: i64 = 0;
        ok(row_count(fts, &mut n_row))?;
        let mut n_tok: i64 = 0;
        ok(total_size(fts, -1, &mut n_tok))?;
        let avgdl = if n_row > 0 {
            (n_tok as f64 / n_row as f64).max(1e-9)
        } else {
            1.0
        };
        let mut idf = Vec::with_capacity(n_phrase as usize);
        for i in 0..n_phrase {
            let mut hits: i64 = 0;
            ok(query_phrase(
                fts,
                i,
                &mut hits as *mut i64 as *mut c_void,
                Some(count_rows),
            ))?;
            let n = n_row as f64;
            let h = hits as f64;
            idf.push((1.0 + (n - h + 0.5) / (h + 0.5)).ln().max(0.0));
        }
        let data = Box::into_raw(Box::new(RankData {
            avgdl,
            freq: vec![0.0; idf.len()],
            idf,
        }));
        // On failure SQLite itself invokes the destructor on `data`.
        ok(set_aux(fts, data as *mut c_void, Some(free_rank_data)))?;
        Ok(data)
    }
}

/// SAFETY: arguments as passed by SQLite to an FTS5 auxiliary function.
unsafe fn rank(
    api: &ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    n_val: c_int,
    ap_val: *mut *mut ffi::sqlite3_value,
) -> Result<f64, c_int> {
    let (Some(inst_count), Some(inst), Some(column_size)) =
        (api.xInstCount, api.xInst, api.xColumnSize)
    else {
        return Err(ffi::SQLITE_ERROR);
    };
    unsafe {
        let data = &mut *rank_data(api, fts)?;
        data.freq.iter_mut().for_each(|f| *f = 0.0);
        let mut n_inst: c_int = 0;
        ok(inst_count(fts, &mut n_inst))?;
        for i in 0..n_inst {
            let (mut ip, mut ic, mut io) = (0, 0, 0);
            ok(inst(fts, i, &mut ip, &mut ic, &mut io))?;
            let weight = if ic >= 0 && n_val > ic {
                ffi::sqlite3_value_double(*ap_val.add(ic as usize))
            } else {
                1.0
            };
            if let Some(f) = data.freq.get_mut(ip as usize) {
                *f += weight;
            }
        }
        let mut n_tok: c_int = 0;
        ok(column_size(fts, -1, &mut n_tok))?;
        let dl = f64::from(n_tok);
        let norm = K1 * (1.0 - B + B * dl / data.avgdl);
        Ok(data
            .idf
            .iter()
            .zip(&data.freq)
            .filter(|(_, f)| **f > 0.0)
            .map(|(idf, f)| idf * (f * (K1 + 1.0)) / (f + norm))
            .sum())
    }
}

unsafe extern "C" fn rank_function(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    ctx: *mut ffi::sqlite3_context,
    n_val: c_int,
    ap_val: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: SQLite passes valid pointers for the duration of this call.
    unsafe {
        match rank(&*api, fts, n_val, ap_val) {
            Ok(score) => ffi::sqlite3_result_double(ctx, score),
            Err(rc) => ffi::sqlite3_result_error_code(ctx, rc),
        }
    }
}

fn failure(rc: c_int, what: &str) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(ffi::Error::new(rc), Some(what.to_owned()))
}

/// Registers `memanto_rank` on `conn`.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    // SAFETY: the raw handle is only used during this call, on the thread owning `conn`; the
    // `fts5_api` pointer obtained through `SELECT fts5(?1)` lives as long as the connection.
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
        let Some(create) = (*api).xCreateFunction else {
            return Err(failure(
                ffi::SQLITE_ERROR,
                "fts5_api has no xCreateFunction",
            ));
        };
        let rc = create(
            api,
            c"memanto_rank".as_ptr(),
            ptr::null_mut(),
            Some(rank_function),
            None,
        );
        if rc != ffi::SQLITE_OK {
            return Err(failure(rc, "could not register memanto_rank"));
        }
    }
    Ok(())
}
