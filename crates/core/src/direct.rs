//! The direct request path: hyper-util's pooled HTTP/1 client, used for a plain `http://`
//! base URL that no proxy setting applies to (an embedded `LocalServer`, `memanto serve` on
//! the same host or network). It is the client reqwest itself drives, without reqwest's
//! layers on top (redirect handling, which parses each request's URL twice more, proxy
//! headers, per-request URL bookkeeping). callgrind, per LoCoMo call of the Python client:
//! recall 431k instructions through reqwest, 398k this way; remember 132k and 101k.
//!
//! Everything else (HTTPS, proxies from the environment, multipart uploads) goes through
//! reqwest, which brings TLS and proxy support this path does not have.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use reqwest::header::{HeaderMap, HeaderValue, HOST};
use reqwest::{Method, Url};

use crate::config::ClientConfig;

pub(crate) type Request = http::Request<Full<Bytes>>;

/// A pooled client for one plain-HTTP server.
pub(crate) struct Direct {
    client: Client<HttpConnector, Full<Bytes>>,
    /// The `Host` header, built once (hyper-util would format it for every request).
    host: HeaderValue,
}

impl Direct {
    /// The direct client for `base`, or None where reqwest must carry the requests: any
    /// scheme but `http`, or a proxy that the environment (`HTTP_PROXY`, `ALL_PROXY`,
    /// `NO_PROXY`, read as reqwest reads them) sets for this server. A loopback server is
    /// never reached through a proxy (see [`is_loopback`]).
    pub(crate) fn for_base(base: &Url, config: &ClientConfig) -> Option<Direct> {
        if base.scheme() != "http" {
            return None;
        }
        let uri: http::Uri = base.as_str().parse().ok()?;
        if !is_loopback(base) && Matcher::from_system().intercept(&uri).is_some() {
            return None;
        }
        // As hyper-util writes it: the port only where it is not 80.
        let host = match (uri.host(), uri.port_u16()) {
            (Some(h), Some(p)) if p != 80 => HeaderValue::from_str(&format!("{h}:{p}")).ok()?,
            (Some(h), _) => HeaderValue::from_str(h).ok()?,
            (None, _) => return None,
        };
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(config.connect_timeout));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(config.max_connections)
            .pool_timer(TokioTimer::new())
            .build(connector);
        Some(Direct { client, host })
    }

    /// A request for `url` with `headers` and an optional JSON body; None when the URL is not
    /// one an HTTP request line can carry (too long, say).
    pub(crate) fn request(
        &self,
        method: &Method,
        url: &Url,
        mut headers: HeaderMap,
        json: Option<Vec<u8>>,
    ) -> Option<Request> {
        headers.insert(HOST, self.host.clone());
        let uri: http::Uri = url.as_str().parse().ok()?;
        let body = json.map_or_else(Full::default, |b| Full::new(Bytes::from(b)));
        let mut req = http::Request::new(body);
        *req.method_mut() = method.clone();
        *req.uri_mut() = uri;
        *req.headers_mut() = headers;
        Some(req)
    }

    pub(crate) async fn send(
        &self,
        req: Request,
    ) -> Result<http::Response<Incoming>, hyper_util::client::legacy::Error> {
        self.client.request(req).await
    }
}

/// Whether `base` names this machine: `localhost` (or a name under `.localhost`), 127.0.0.0/8
/// or `::1`. Such a server (an embedded `LocalServer`, `memanto serve` on this host) is
/// never reached through a proxy from the environment: a proxy elsewhere would connect to
/// its own machine, and would see the API key on the way.
pub(crate) fn is_loopback(base: &Url) -> bool {
    match base.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A response body, read through hyper-util or reqwest.
pub(crate) enum Body {
    Direct(Incoming),
    Reqwest(reqwest::Response),
}

impl Body {
    /// The next chunk of the body (None at its end); errors are the transport's, as text.
    pub(crate) async fn chunk(&mut self) -> Result<Option<Bytes>, BodyError> {
        match self {
            Body::Reqwest(r) => r.chunk().await.map_err(BodyError::Reqwest),
            Body::Direct(b) => loop {
                match b.frame().await {
                    None => return Ok(None),
                    Some(Err(e)) => return Err(BodyError::Hyper(e)),
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            return Ok(Some(data));
                        }
                    }
                }
            },
        }
    }
}

pub(crate) enum BodyError {
    Reqwest(reqwest::Error),
    Hyper(hyper::Error),
}
