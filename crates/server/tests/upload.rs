//! `upload-file`: chunking per file type, and the error cases.

mod common;

use axum::http::StatusCode;
use common::{App, Resp};
use serde_json::{json, Value};

async fn upload(app: &App, token: &str, name: &str, content: &[u8]) -> Resp {
    app.post("/api/v2/agents/bot/upload-file")
        .key()
        .token(token)
        .multipart("file", name, content)
        .send()
        .await
}

/// Uploads, asserts the response, and returns the one memory recall finds for `word`.
async fn check(
    app: &App,
    token: &str,
    name: &str,
    content: &str,
    parts: usize,
    word: &str,
) -> Value {
    let r = upload(app, token, name, content.as_bytes()).await;
    assert_eq!(r.status, StatusCode::OK, "{name}: {}", r.text);
    let b = &r.body;
    assert_eq!(b["agent_id"], "bot");
    assert!(b["session_id"].as_str().unwrap().starts_with("sess_"));
    assert_eq!(b["namespace"], "memanto_agent_bot");
    assert_eq!(b["file_name"], name);
    assert_eq!(b["file_size"], content.len());
    assert_eq!(b["status"], "uploaded");
    assert_eq!(b["memories_created"], parts, "{name}");
    assert_eq!(b["message"], format!("Stored {parts} memories from {name}"));
    assert_eq!(b["memory_ids"].as_array().unwrap().len(), parts);
    let found = app.recall("bot", token, &[("query", word)]).await;
    assert_eq!(found["count"], 1, "{name}: {word}");
    let m = found["memories"][0].clone();
    assert!(b["memory_ids"].as_array().unwrap().contains(&m["id"]));
    assert_eq!(m["type"], "artifact");
    assert_eq!(m["tags"], json!([name]));
    assert_eq!(m["source"], "file");
    assert_eq!(m["provenance"], "imported");
    assert!(m["content"].as_str().unwrap().contains(word));
    m
}

fn paragraph(i: usize, extra: &str) -> String {
    format!(
        "Paragraph {i} talks about ordinary things {extra}. {}",
        "Plain filler sentence here. ".repeat(15).trim()
    )
}

#[tokio::test]
async fn text_markdown_json_and_csv_become_memories() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;

    // Six ~450-character paragraphs: two fit in one ~1000-character chunk.
    let text: Vec<String> = (0..6)
        .map(|i| paragraph(i, if i == 3 { "zeppelin" } else { "" }))
        .collect();
    let m = check(&app, &token, "notes.txt", &text.join("\n\n"), 3, "zeppelin").await;
    assert_eq!(m["title"], "notes.txt (part 2/3)");
    assert!(m["content"].as_str().unwrap().starts_with("Paragraph 2"));
    assert!(m["content"].as_str().unwrap().ends_with("here."));

    let section =
        |h: &str, w: &str| format!("## {h}\n\n{} {w}\n\n{}", paragraph(0, ""), paragraph(1, ""));
    let md = format!(
        "# Handbook\n\n{}\n\n{}\n\n{}",
        section("Intro", ""),
        section("Setup", "quokka"),
        section("Usage", "")
    );
    let m = check(&app, &token, "Guide.MD", &md, 3, "quokka").await;
    assert_eq!(m["title"], "Guide.MD (part 2/3)");
    assert!(m["content"].as_str().unwrap().starts_with("## Setup"));

    let json_array =
        r#"[{"city": "Oslo"}, {"city": "Lima", "note": "llama country"}, "plain kiwi", 42]"#;
    let m = check(&app, &token, "cities.json", json_array, 4, "llama").await;
    assert_eq!(m["content"], r#"{"city":"Lima","note":"llama country"}"#);
    assert_eq!(m["title"], "cities.json (part 2/4)");
    let m = check(
        &app,
        &token,
        "profile.json",
        r#"{"name": "Ada", "hobby": "narwhal watching", "age": 36}"#,
        3,
        "narwhal",
    )
    .await;
    assert_eq!(m["content"], "hobby: narwhal watching");
    assert_eq!(m["title"], "profile.json (part 2/3)");

    let csv =
        "name,city,pet\nAda,London,cat\nBob,Paris,dog\nCy,Rome,axolotl\nDee,Kyiv,\nEve,Oslo,fish\n";
    let m = check(&app, &token, "people.csv", csv, 5, "axolotl").await;
    assert_eq!(m["content"], "name: Cy; city: Rome; pet: axolotl");
    assert_eq!(m["title"], "people.csv (part 3/5)");

    // A byte-order mark is dropped; a path in the name is not kept.
    let r = upload(&app, &token, "dir/bom.txt", "\u{feff}wombat".as_bytes()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["file_name"], "bom.txt");
    let found = app.recall("bot", &token, &[("query", "wombat")]).await;
    assert_eq!(found["memories"][0]["content"], "wombat");
    assert_eq!(found["memories"][0]["title"], "bom.txt (part 1/1)");
}

#[tokio::test]
async fn upload_errors() {
    let app = App::new();
    let token = app.agent_with_session("bot").await;
    for ext in [".pdf", ".DOCX", ".xlsx"] {
        let r = upload(&app, &token, &format!("report{ext}"), b"%PDF-1.4").await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ext}");
        assert_eq!(
            r.body,
            json!({"detail": {"error": "UnsupportedFileType",
                "message": format!("File type '{}' is not supported by the LocalServer (supported: .csv, .json, .md, .txt)", ext.to_lowercase()),
                "details": {}}})
        );
    }
    for (name, ext) in [("tool.exe", ".exe"), ("README", ""), ("a.tar.gz", ".gz")] {
        let r = upload(&app, &token, name, b"MZ").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(
            r.body,
            json!({"detail": format!("File type '{ext}' is not supported. Allowed types: .csv, .docx, .json, .md, .pdf, .txt, .xlsx")})
        );
    }
    let unprocessable = |r: Resp, what: &str| {
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {}",
            r.text
        );
        assert_eq!(
            r.body["detail"][0]["loc"],
            json!(["body", "file"]),
            "{what}"
        );
        r.body["detail"][0]["type"].as_str().unwrap().to_owned()
    };
    for (name, content) in [
        ("empty.txt", &b""[..]),
        ("blank.md", b" \n\n\t"),
        ("latin1.txt", b"caf\xe9"),
        ("bad.json", b"{\"a\": "),
        ("none.json", b"[]"),
        ("header.csv", b"a,b,c\n"),
    ] {
        assert_eq!(
            unprocessable(upload(&app, &token, name, content).await, name),
            "value_error"
        );
    }
    // Missing field: another field name, a non-multipart body, no body.
    let r = app
        .post("/api/v2/agents/bot/upload-file")
        .key()
        .token(&token)
        .multipart("document", "a.txt", b"hello")
        .send()
        .await;
    assert_eq!(unprocessable(r, "other field"), "missing");
    let r = app
        .post("/api/v2/agents/bot/upload-file")
        .key()
        .token(&token)
        .json(json!({"file": "a.txt"}))
        .send()
        .await;
    assert_eq!(unprocessable(r, "json"), "missing");
    let r = app
        .post("/api/v2/agents/bot/upload-file")
        .key()
        .token(&token)
        .bytes("multipart/form-data; boundary=B", b"--B--\r\n".to_vec())
        .send()
        .await;
    assert_eq!(unprocessable(r, "no parts"), "missing");
    // Too large.
    let big = vec![b'a'; 10 * 1024 * 1024 + 1];
    let r = upload(&app, &token, "big.txt", &big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert_eq!(r.body["detail"]["error"], "file_too_large");
    // Exactly at the limit passes the size check (and fails on its last, non-UTF-8 byte).
    let mut full = vec![b'a'; 10 * 1024 * 1024 - 1];
    full.push(0xff);
    let r = upload(&app, &token, "full.txt", &full).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    // Nothing was stored by any of these.
    assert_eq!(
        app.get("/api/v2/agents/bot").key().send().await.body["memory_count"],
        0
    );

    // Key, token and agent scope come before the file type.
    let r = app
        .post("/api/v2/agents/bot/upload-file")
        .key()
        .multipart("file", "x.pdf", b"x")
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let other = app.agent_with_session("other").await;
    let r = app
        .post("/api/v2/agents/bot/upload-file")
        .key()
        .token(&other)
        .multipart("file", "x.pdf", b"x")
        .send()
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
