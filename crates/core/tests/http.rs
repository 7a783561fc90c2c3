//! The core against a scripted loopback HTTP server: which headers go out on which calls,
//! how replacement tokens are adopted, and how error responses are mapped.

use std::sync::{Arc, Mutex};

use jsonwebtoken::{encode, EncodingKey, Header};
use memanto_core::{
    Client, ClientConfig, ErrorKind, MemoryInput, RecallArgs, Session, SessionPolicy,
};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Serve each connection's requests with the scripted responses, in order (the last repeats).
async fn scripted(responses: Vec<String>) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let log = log.clone();
            let responses = responses.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    let mut chunk = [0u8; 4096];
                    let n = match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    buf.extend_from_slice(&chunk[..n]);
                    while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_string();
                        let mut lines = head.split("\r\n");
                        let request_line = lines.next().unwrap_or("").to_string();
                        let headers: Vec<(String, String)> = lines
                            .filter_map(|l| {
                                l.split_once(':')
                                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                            })
                            .collect();
                        let len: usize = headers
                            .iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                            .map(|(_, v)| v.parse().unwrap())
                            .unwrap_or(0);
                        if buf.len() < end + 4 + len {
                            break;
                        }
                        buf.drain(..end + 4 + len);
                        let index = {
                            let mut l = log.lock().unwrap();
                            l.push(Seen {
                                request_line,
                                headers,
                            });
                            l.len() - 1
                        };
                        let resp = &responses[index.min(responses.len() - 1)];
                        if sock.write_all(resp.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, seen)
}

fn response(status: &str, extra_headers: &[(&str, &str)], body: &str) -> String {
    let mut s = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in extra_headers {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    s.push_str("\r\n");
    s.push_str(body);
    s
}

fn token(agent: &str, expires_at: &str) -> String {
    let claims = json!({"agent_id": agent, "namespace": format!("memanto_agent_{agent}"),
        "session_id": "sess_0123456789ab", "started_at": "2026-01-01T00:00:00", "expires_at": expires_at});
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(b"s").unwrap(),
    )
    .unwrap()
}

fn client(url: &str) -> Client {
    Client::new(
        ClientConfig::resolve_with_version(
            Some("mk_test_key".into()),
            Some(url.into()),
            None,
            None,
            Some("0.0".into()),
        )
        .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn key_on_every_request_token_only_on_memory_calls() {
    let tok = token("bot", "2099-01-01T00:00:00");
    let activate =
        json!({"session_id": "sess_0123456789ab", "session_token": tok, "agent_id": "bot"})
            .to_string();
    let (url, seen) = scripted(vec![
        response("200 OK", &[], &activate),
        response("200 OK", &[], r#"{"memories":[],"count":0}"#),
        response("200 OK", &[], r#"{"agents":[],"count":0}"#),
    ])
    .await;
    let c = client(&url);
    let (session, _) = Session::activate(&c, "bot", SessionPolicy::default())
        .await
        .unwrap();
    session
        .recall(&RecallArgs {
            query: "hi".into(),
            limit: Some(3),
            ..Default::default()
        })
        .await
        .unwrap();
    c.list_agents().await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    for s in &seen {
        assert_eq!(
            s.header("authorization"),
            Some("Bearer mk_test_key"),
            "{}",
            s.request_line
        );
    }
    assert_eq!(
        seen[0].request_line,
        "POST /api/v2/agents/bot/activate HTTP/1.1"
    );
    assert_eq!(seen[0].header("x-session-token"), None);
    assert_eq!(
        seen[1].request_line,
        "GET /api/v2/agents/bot/recall?query=hi&limit=3 HTTP/1.1"
    );
    assert_eq!(seen[1].header("x-session-token"), Some(tok.as_str()));
    assert_eq!(seen[2].header("x-session-token"), None);
}

#[tokio::test]
async fn no_key_means_no_authorization_header() {
    let (url, seen) = scripted(vec![response("200 OK", &[], r#"{"status":"healthy"}"#)]).await;
    std::env::remove_var("MOORCHEH_API_KEY");
    let c = Client::new(
        ClientConfig::resolve_with_version(None, Some(url), None, None, Some("0.0".into()))
            .unwrap(),
    )
    .unwrap();
    c.health().await.unwrap();
    assert_eq!(seen.lock().unwrap()[0].header("authorization"), None);
}

#[tokio::test]
async fn replacement_token_header_is_adopted_newest_expiry_wins() {
    let old = token("bot", "2090-01-01T00:00:00");
    let newer = token("bot", "2091-01-01T00:00:00");
    let stale = token("bot", "2089-01-01T00:00:00");
    let foreign = token("other", "2095-01-01T00:00:00");
    let ok = r#"{"memory_id":"m","status":"queued"}"#;
    let (url, seen) = scripted(vec![
        response("200 OK", &[("X-Session-Token", &newer)], ok),
        response("200 OK", &[("X-Session-Token", &stale)], ok),
        response(
            "401 Unauthorized",
            &[("X-Session-Token", &foreign)],
            r#"{"detail":{"error":"SessionExpired","message":"x","details":{}}}"#,
        ),
        response("200 OK", &[], ok),
    ])
    .await;
    let s = Session::from_token(client(&url), None, &old, SessionPolicy::default()).unwrap();
    let m = MemoryInput {
        content: "x".into(),
        ..Default::default()
    };
    s.remember(&m).await.unwrap();
    assert_eq!(s.token().unwrap().expose(), newer);
    s.remember(&m).await.unwrap(); // carries an older token: ignored
    assert_eq!(s.token().unwrap().expose(), newer);
    let e = s.remember(&m).await.unwrap_err(); // error response, token of another agent: ignored
    assert_eq!(e.kind, ErrorKind::SessionExpired);
    assert_eq!(s.token().unwrap().expose(), newer);
    s.remember(&m).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[0].header("x-session-token"), Some(old.as_str()));
    assert_eq!(seen[1].header("x-session-token"), Some(newer.as_str()));
    assert_eq!(seen[3].header("x-session-token"), Some(newer.as_str()));
}

#[tokio::test]
async fn deactivate_forgets_the_token() {
    let tok = token("bot", "2099-01-01T00:00:00");
    let (url, seen) = scripted(vec![response(
        "200 OK",
        &[],
        r#"{"session_id":"s","agent_id":"bot"}"#,
    )])
    .await;
    let s = Session::from_token(client(&url), None, &tok, SessionPolicy::default()).unwrap();
    s.deactivate().await.unwrap();
    let e = s
        .recall(&RecallArgs {
            query: "x".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::SessionTokenMissing);
    let e = s.deactivate().await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::SessionTokenMissing);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "nothing sent after deactivate");
    assert_eq!(
        seen[0].header("x-session-token"),
        None,
        "deactivate needs only the key"
    );
}

#[tokio::test]
async fn error_messages_never_carry_the_key_or_token() {
    let tok = token("bot", "2099-01-01T00:00:00");
    let echo = format!(r#"{{"detail":"bad key mk_test_key and token {tok}"}}"#);
    let (url, _) = scripted(vec![response("401 Unauthorized", &[], &echo)]).await;
    let s = Session::from_token(client(&url), None, &tok, SessionPolicy::default()).unwrap();
    let e = s
        .recall(&RecallArgs {
            query: "x".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(!e.message.contains("mk_test_key"), "{}", e.message);
    assert!(!e.message.contains(&tok));
    assert!(!e.body.unwrap().to_string().contains("mk_test_key"));
}

#[tokio::test]
async fn connection_refused_is_a_connection_error_without_the_url_query() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let s = Session::from_token(
        client(&format!("http://127.0.0.1:{port}")),
        None,
        &token("bot", "2099-01-01T00:00:00"),
        SessionPolicy::default(),
    )
    .unwrap();
    let e = s
        .recall(&RecallArgs {
            query: "private words".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connection);
    assert!(!e.message.contains("private"), "{}", e.message);
}
