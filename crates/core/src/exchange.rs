//! One exchange on the wire: a prepared request sent on the direct path or through reqwest,
//! the response's status and headers, and its body read under `max_response_bytes`; with the
//! errors of each path mapped to the same kinds and retry rules.

use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;

use crate::direct::{Body, BodyError, Direct, Request};
use crate::error::{self, Error, ErrorKind, Result};
use crate::http::{Call, Replay};

/// Send a prepared request: the status, headers and body of its response, or why none
/// came (with whether sending again is safe).
pub(crate) async fn exchange(
    prepared: Prepared<'_>,
    call: &Call,
    deadline: Option<Instant>,
    secrets: &[&str],
) -> std::result::Result<(u16, HeaderMap, Body), Failure> {
    match prepared {
        Prepared::Reqwest(mut req) => {
            if let Some(d) = deadline {
                req = req.timeout(
                    d.saturating_duration_since(Instant::now())
                        .max(Duration::from_millis(1)),
                );
            }
            match req.send().await {
                Ok(mut r) => {
                    let headers = std::mem::take(r.headers_mut());
                    Ok((r.status().as_u16(), headers, Body::Reqwest(r)))
                }
                Err(e) if e.is_builder() => Err(Failure::Fatal(too_long())),
                Err(e) => {
                    let (timeout, connect) = (e.is_timeout(), e.is_connect());
                    Err(Failure::of(
                        error::from_transport(e, secrets),
                        timeout,
                        connect,
                        call,
                    ))
                }
            }
        }
        Prepared::Direct(d, req) => {
            let sent = match deadline {
                Some(at) => match tokio::time::timeout_at(at.into(), d.send(req)).await {
                    Ok(r) => r,
                    Err(_) => return Err(Failure::Fatal(error::timed_out())),
                },
                None => d.send(req).await,
            };
            match sent {
                Ok(r) => {
                    let (parts, body) = r.into_parts();
                    Ok((parts.status.as_u16(), parts.headers, Body::Direct(body)))
                }
                Err(e) => {
                    // hyper-util reports its connect timeout as a connect error with an I/O
                    // timeout among the causes: a timeout, as on the reqwest path.
                    let timeout = timed_out_io(&e);
                    let error = error::transport(&e, timeout, secrets);
                    Err(Failure::of(error, timeout, e.is_connect(), call))
                }
            }
        }
    }
}

pub(crate) async fn read_body(
    mut body: Body,
    max: usize,
    length: Option<u64>,
    secrets: &[&str],
) -> Result<Vec<u8>> {
    let too_big = || {
        Error::new(
            ErrorKind::Server,
            format!(
                "The response body is larger than max_response_bytes ({max} bytes) and was refused; \
                 raise max_response_bytes=... if such a response is expected."
            ),
        )
    };
    if length.is_some_and(|n| n > max as u64) {
        return Err(too_big());
    }
    // The server's Content-Length sizes the buffer only up to a bound: a length that is a
    // lie (and a max_response_bytes meant as "no limit") must not abort the process on an
    // allocation that cannot succeed.
    let mut buf = Vec::with_capacity(length.map_or(0, |n| n.min(PREALLOCATE_AT_MOST) as usize));
    loop {
        match body.chunk().await {
            Ok(Some(chunk)) => {
                if buf.len() + chunk.len() > max {
                    return Err(too_big());
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(buf),
            Err(BodyError::Reqwest(e)) => return Err(error::from_transport(e, secrets)),
            Err(BodyError::Hyper(e)) => return Err(error::transport(&e, false, secrets)),
        }
    }
}

/// Whether an I/O timeout is among the causes of `err` (hyper-util's connector reports its
/// connect timeout so).
fn timed_out_io(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(err);
    while let Some(e) = cause {
        if e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return true;
        }
        cause = e.source();
    }
    false
}

/// The most a body buffer is sized for before its bytes arrive (it grows past that as they do).
const PREALLOCATE_AT_MOST: u64 = 1 << 20;

/// A request ready to send, on one of the two paths.
pub(crate) enum Prepared<'p> {
    Direct(&'p Direct, Request),
    Reqwest(reqwest::RequestBuilder),
}

/// Why no response came: whether the call may be sent again.
pub(crate) enum Failure {
    /// Sending again is safe (a connect failure, or a call that may be replayed).
    Retry(Error),
    Fatal(Error),
}

impl Failure {
    /// The same rule on both paths: a timeout is not retried; a connect failure (the request
    /// provably never reached the server) may be retried for any call, anything else only for
    /// a call that may be replayed.
    fn of(error: Error, timeout: bool, connect: bool, call: &Call) -> Failure {
        if !timeout && (connect || call.replay == Replay::Safe) {
            Failure::Retry(error)
        } else {
            Failure::Fatal(error)
        }
    }
}

/// Redirects are not followed, on either path: the API key and session token go to
/// `base_url` only, and a write is never turned into a GET. A redirect means `base_url` is
/// not the server's address (`http` for `https`, a missing path prefix).
pub(crate) fn redirected(
    method: &reqwest::Method,
    path: &str,
    status: u16,
    location: Option<&[u8]>,
    secrets: &[&str],
) -> Error {
    let to = match location.map(String::from_utf8_lossy) {
        None => "no Location header".to_string(),
        Some(l) if l.trim().is_empty() => "an empty Location header".to_string(),
        Some(l) => error::snippet(&error::redact(l.trim(), secrets)),
    };
    let mut err = Error::new(
        ErrorKind::Connection,
        format!(
            "The server answered {method} {path} with a redirect (HTTP {status}, to {to}). \
             Redirects are not followed, so that credentials go only to base_url: set base_url \
             to the address the server redirects to."
        ),
    );
    err.status_code = Some(status);
    err
}

pub(crate) fn too_long() -> Error {
    Error::validation(
        "The request could not be built (an argument makes the URL too long or invalid); shorten it.",
    )
}

pub(crate) const USER_AGENT_VALUE: &str = concat!("memanto-client/", env!("CARGO_PKG_VERSION"));
