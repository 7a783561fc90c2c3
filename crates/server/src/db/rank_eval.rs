//! A ranking experiment harness (ignored test): LoCoMo turns indexed as memories, its
//! questions searched as `recall` searches them, evidence hit@5 / hit@10 per conversation.
//!
//!     LOCOMO=/work/shared/data/locomo10.json cargo test -p memanto-server --lib \
//!         rank_eval -- --ignored --nocapture
//!
//! Environment: `K1`, `B`, `DELTA`, `W` (three field weights, "title,content,tags"), `FD`, `FT`,
//! `FW`, `FMAX` (feedback documents, terms, weight, largest document share), and `DOC`, how
//! a turn becomes a memory: `ctx3` (default; as `memanto_client.datasets.locomo` stores it:
//! the end of the previous turn's words as the title), `base` (the turn alone), `ctx` /
//! `ctx2` / `ctx2t` / `ctx2e` / `ctxn` / `ctxd` (variants tried: the previous turn with its
//! speaker, whole, its first or last 100 characters, with the next turn, with the date).
//! `rank_time` times every question against all conversations stored ten times (~60k).

use serde_json::Value;

use super::index::AgentIndex;
use super::rank::Params;
use super::tokenize::Tokenizer;
use crate::model::{MemoryRow, Trust};

fn env_f(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn params() -> Params {
    let mut p = Params::default();
    p.k1 = env_f("K1", p.k1);
    p.b = env_f("B", p.b);
    p.delta = env_f("DELTA", p.delta);
    p.feedback_docs = env_f("FD", p.feedback_docs as f64) as usize;
    p.feedback_terms = env_f("FT", p.feedback_terms as f64) as usize;
    p.feedback_weight = env_f("FW", p.feedback_weight);
    p.feedback_max_df = env_f("FMAX", p.feedback_max_df);
    if let Ok(w) = std::env::var("W") {
        let w: Vec<f32> = w.split(',').map(|x| x.parse().unwrap()).collect();
        p.weights = [w[0], w[1], w[2]];
    }
    p
}

fn row(i: usize, title: String, content: String, tag: String) -> MemoryRow {
    MemoryRow {
        id: format!("m{i}"),
        agent_id: "a".into(),
        mtype: "event".into(),
        title,
        content,
        tags: vec![tag],
        confidence: 0.8,
        source: "agent".into(),
        provenance: "explicit_statement".into(),
        created_at: String::new(),
        updated_at: String::new(),
        trust: Trust::default(),
        expired_at: None,
        expired_by: None,
        score: None,
    }
}

/// (date, speaker, text with caption, dialogue id, session, spoken text).
type Turn = (String, String, String, String, usize, String);

/// The text, or its end from a word boundary behind an ellipsis, in at most 100 characters.
fn tail(text: &str) -> String {
    let c: Vec<char> = text.trim().chars().collect();
    if c.len() <= 100 {
        return c.iter().collect();
    }
    let mut t: String = c[c.len() - 99..].iter().collect();
    if let Some(cut) = t.find(' ').filter(|&i| i < 33) {
        t = t[cut + 1..].to_owned();
    }
    format!("…{t}")
}

/// The title a memory stored without one gets (`model::default_title`; API 0.2's batch
/// takes 47 characters rather than 50).
fn default_title(content: &str) -> String {
    crate::model::default_title(content)
}

/// (title, content, tag) of every turn.
fn memories(sample: &Value, mode: &str) -> Vec<(String, String, String)> {
    let conv = &sample["conversation"];
    let mut n = 1;
    let mut all: Vec<Turn> = Vec::new();
    while let Some(turns) = conv.get(format!("session_{n}")).and_then(Value::as_array) {
        let date = conv[format!("session_{n}_date_time")]
            .as_str()
            .unwrap_or("")
            .to_owned();
        for t in turns {
            let said = t["text"].as_str().unwrap_or("").to_owned();
            let mut text = said.clone();
            if let Some(c) = t.get("blip_caption").and_then(Value::as_str) {
                text += &format!(" [shares a photo: {c}]");
            }
            let speaker = t["speaker"].as_str().unwrap_or("").to_owned();
            let dia = t["dia_id"].as_str().unwrap().to_owned();
            all.push((date.clone(), speaker, text, dia, n, said));
        }
        n += 1;
    }
    let mut out = Vec::new();
    for (i, (date, speaker, text, dia, sess, _)) in all.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| &all[j]).filter(|p| p.4 == *sess);
        let next = all.get(i + 1).filter(|p| p.4 == *sess);
        let said = |p: &Turn| format!("{}: {}", p.1, p.2);
        let (title, content) = match mode {
            "ctx" => (
                prev.map(said).unwrap_or_default(),
                format!("[{date}] {speaker}: {text}"),
            ),
            "ctx2t" => (
                prev.map(|p| p.2.chars().take(100).collect())
                    .unwrap_or_default(),
                format!("[{date}] {speaker}: {text}"),
            ),
            // As memanto_client.datasets.locomo: the end of the previous turn's words (the
            // first turn of a session has no title, so the server gives it its default one).
            "ctx3" => {
                let content = format!("[{date}] {speaker}: {text}");
                let title = prev
                    .map(|p| tail(&p.5))
                    .unwrap_or_else(|| default_title(&content));
                (title, content)
            }
            "ctx2e" => (
                prev.map(|p| {
                    let c: Vec<char> = p.2.chars().collect();
                    c[c.len().saturating_sub(100)..].iter().collect()
                })
                .unwrap_or_default(),
                format!("[{date}] {speaker}: {text}"),
            ),
            "ctx2" => (
                prev.map(|p| p.2.clone()).unwrap_or_default(),
                format!("[{date}] {speaker}: {text}"),
            ),
            "ctxn" => (
                format!(
                    "{} {}",
                    prev.map(said).unwrap_or_default(),
                    next.map(said).unwrap_or_default()
                ),
                format!("[{date}] {speaker}: {text}"),
            ),
            "ctxd" => (
                format!("{date} {}", prev.map(said).unwrap_or_default()),
                format!("{speaker}: {text}"),
            ),
            _ => (String::new(), format!("[{date}] {speaker}: {text}")),
        };
        out.push((title, content, dia.clone()));
    }
    out
}

fn evidence(qa: &Value) -> Vec<String> {
    qa["evidence"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .flat_map(|e| e.split([';', ',', ' ']))
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
#[ignore]
fn rank_eval() {
    let path = std::env::var("LOCOMO").unwrap_or("/work/shared/data/locomo10.json".into());
    let data: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let tok = Tokenizer::new(&conn).unwrap();
    let mode = std::env::var("DOC").unwrap_or("ctx3".into());
    let p = params();
    let (mut tuned, mut held) = ([0usize; 3], [0usize; 3]);
    let mut cats = [[0usize; 2]; 6];
    for (c, sample) in data.iter().enumerate() {
        let mut ix = AgentIndex::with_params(p);
        for (i, (title, content, tag)) in memories(sample, &mode).into_iter().enumerate() {
            let mut fields: [Vec<String>; 3] = Default::default();
            for (text, f) in [&title, &content, &tag].into_iter().zip(&mut fields) {
                tok.tokenize(text, false, f).unwrap();
            }
            ix.insert_fields(i as i64, row(i, title, content, tag), i as u64, &fields);
        }
        let (mut n, mut h5, mut h10) = (0, 0, 0);
        for qa in sample["qa"].as_array().unwrap() {
            let ev = evidence(qa);
            if ev.is_empty() {
                continue;
            }
            let q = qa["question"].as_str().unwrap_or("");
            let mut tokens = Vec::new();
            for w in crate::search::terms(q) {
                tok.tokenize(&w, true, &mut tokens).unwrap();
            }
            let (hits, _) = ix.search(&tokens, 10, None);
            let rank = hits.iter().position(|(r, _)| ev.contains(&r.tags[0]));
            if c == 0 && std::env::var("DUMP").is_ok() && rank.is_none_or(|r| r >= 5) {
                println!(
                    "MISS {q} {tokens:?} ev={ev:?} got={:?}",
                    hits.iter()
                        .take(2)
                        .map(|(r, _)| format!("{} {}", r.tags[0], r.content))
                        .collect::<Vec<_>>()
                );
            }
            let cat = qa["category"].as_u64().unwrap_or(0).min(5) as usize;
            cats[cat][0] += 1;
            cats[cat][1] += usize::from(rank.is_some_and(|r| r < 5));
            n += 1;
            h5 += usize::from(rank.is_some_and(|r| r < 5));
            h10 += usize::from(rank.is_some());
        }
        let acc = if c < 5 { &mut tuned } else { &mut held };
        acc[0] += n;
        acc[1] += h5;
        acc[2] += h10;
        println!(
            "{} n={n} hit@5={:.1}% hit@10={:.1}%",
            sample["sample_id"].as_str().unwrap_or("?"),
            100.0 * h5 as f64 / n as f64,
            100.0 * h10 as f64 / n as f64
        );
    }
    println!(
        "by category hit@5: {:?}",
        cats.iter()
            .map(|c| format!("{:.1}%", 100.0 * c[1] as f64 / c[0].max(1) as f64))
            .collect::<Vec<_>>()
    );
    for (name, a) in [("tuned", tuned), ("held-out", held)] {
        println!(
            "{name}: n={} hit@5={:.1}% hit@10={:.1}%",
            a[0],
            100.0 * a[1] as f64 / a[0] as f64,
            100.0 * a[2] as f64 / a[0] as f64
        );
    }
}

/// Search time over all questions with every conversation stored ten times (about 60k).
#[test]
#[ignore]
fn rank_time() {
    let path = std::env::var("LOCOMO").unwrap_or("/work/shared/data/locomo10.json".into());
    let data: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let tok = Tokenizer::new(&conn).unwrap();
    let mut ix = AgentIndex::with_params(params());
    let mut i = 0;
    for _ in 0..10 {
        for sample in &data {
            for (title, content, tag) in memories(sample, "ctx3") {
                let mut fields: [Vec<String>; 3] = Default::default();
                for (text, f) in [&title, &content, &tag].into_iter().zip(&mut fields) {
                    tok.tokenize(text, false, f).unwrap();
                }
                ix.insert_fields(i, row(i as usize, title, content, tag), i as u64, &fields);
                i += 1;
            }
        }
    }
    let mut queries = Vec::new();
    for sample in &data {
        for qa in sample["qa"].as_array().unwrap() {
            let mut tokens = Vec::new();
            for w in crate::search::terms(qa["question"].as_str().unwrap_or("")) {
                tok.tokenize(&w, true, &mut tokens).unwrap();
            }
            queries.push(tokens);
        }
    }
    // Thread CPU time, less disturbed than wall time by other work on the machine.
    let cpu = || {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: a valid out-pointer for clock_gettime.
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
    };
    let mut runs = Vec::new();
    for _ in 0..5 {
        let (t0, c0) = (std::time::Instant::now(), cpu());
        for q in &queries {
            std::hint::black_box(ix.search(q, 10, None));
        }
        let n = queries.len() as f64;
        runs.push((t0.elapsed().as_secs_f64() / n, (cpu() - c0) / n));
    }
    runs.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (wall, cpu) = runs[runs.len() / 2];
    println!(
        "{i} memories, {} queries: {:.1} us per search ({:.1} us CPU; median of 5 passes)",
        queries.len(),
        wall * 1e6,
        cpu * 1e6
    );
}
