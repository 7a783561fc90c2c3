//! Splitting an uploaded file into memory-sized pieces that recall can find.
//!
//! * text: paragraphs, then sentences, then words, merged up to [`TARGET_CHARS`]
//!   (`text-splitter`; a word is cut only when it alone is longer than that);
//! * Markdown: the same along the document structure (headings, blocks, lists);
//! * JSON: one piece per element of a top-level array, one `key: value` per key of a
//!   top-level object (strings without their quotes, anything else compact JSON); a scalar
//!   is chunked as text;
//! * CSV: the first row names the columns; one `col1: v1; col2: v2` piece per row (empty
//!   cells left out).
//!
//! A JSON or CSV piece longer than [`MAX_CONTENT_CHARS`] is chunked as text. Blank pieces
//! are dropped.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use text_splitter::{ChunkConfig, MarkdownSplitter, TextSplitter};

use crate::model::MAX_CONTENT_CHARS;

/// The size pieces of text are merged up to, in characters.
pub const TARGET_CHARS: usize = 1000;

/// How a file's text is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Markdown,
    Json,
    Csv,
}

impl Kind {
    /// The kind for a lower-case extension with its dot (`.md`).
    pub fn from_extension(ext: &str) -> Option<Kind> {
        match ext {
            ".txt" => Some(Kind::Text),
            ".md" => Some(Kind::Markdown),
            ".json" => Some(Kind::Json),
            ".csv" => Some(Kind::Csv),
            _ => None,
        }
    }
}

/// The splitters get at most this much text at a time. Their cost grows with the square of
/// a stretch that has no paragraph or sentence boundary, so without this bound one large
/// file without blank lines or spaces could occupy the server for hours.
const BLOCK_CHARS: usize = 8 * TARGET_CHARS;

/// `text` cut into blocks of at most [`BLOCK_CHARS`] characters, at paragraph breaks where
/// possible, else at the last whitespace, else anywhere (on a character boundary).
fn blocks(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let Some((limit, _)) = rest.char_indices().nth(BLOCK_CHARS) else {
            out.push(rest);
            break;
        };
        let window = &rest[..limit];
        let cut = window
            .rfind("\n\n")
            .map(|i| i + 2)
            .or_else(|| window.rfind(char::is_whitespace).map(|i| i + 1))
            .filter(|&i| i > 0)
            .unwrap_or(limit);
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    out
}

/// The pieces of `text`, or why it cannot be read as `kind`.
pub fn split(kind: Kind, text: &str) -> Result<Vec<String>, String> {
    let pieces = match kind {
        Kind::Text => text_chunks(text),
        Kind::Markdown => {
            let splitter = MarkdownSplitter::new(ChunkConfig::new(TARGET_CHARS));
            blocks(text)
                .into_iter()
                .flat_map(|b| splitter.chunks(b).map(str::to_owned).collect::<Vec<_>>())
                .collect()
        }
        Kind::Json => json_chunks(text)?,
        Kind::Csv => csv_chunks(text)?,
    };
    Ok(pieces
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .collect())
}

fn text_chunks(text: &str) -> Vec<String> {
    let splitter = TextSplitter::new(ChunkConfig::new(TARGET_CHARS));
    blocks(text)
        .into_iter()
        .flat_map(|b| splitter.chunks(b).map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

/// `piece` itself if it fits in a memory, else its text chunks.
fn fit(piece: String) -> Vec<String> {
    if piece.chars().count() <= MAX_CONTENT_CHARS {
        vec![piece]
    } else {
        text_chunks(&piece)
    }
}

/// A JSON value as text: strings without quotes, the rest compact.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The entries of a JSON object in file order (`serde_json::Map` sorts its keys).
struct Entries(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    out.push(entry);
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(EntriesVisitor)
    }
}

fn json_chunks(text: &str) -> Result<Vec<String>, String> {
    let invalid = |e: serde_json::Error| format!("invalid JSON: {e}");
    let value: Value = serde_json::from_str(text).map_err(invalid)?;
    Ok(match value {
        Value::Array(items) => items.iter().flat_map(|v| fit(plain(v))).collect(),
        Value::Object(_) => serde_json::from_str::<Entries>(text)
            .map_err(invalid)?
            .0
            .iter()
            .flat_map(|(k, v)| fit(format!("{k}: {}", plain(v))))
            .collect(),
        _ => text_chunks(text),
    })
}

fn csv_chunks(text: &str) -> Result<Vec<String>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("invalid CSV: {e}"))?
        .clone();
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("invalid CSV: {e}"))?;
        let row: Vec<String> = record
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_empty())
            .map(|(i, v)| match headers.get(i).filter(|h| !h.is_empty()) {
                Some(h) => format!("{h}: {v}"),
                None => format!("column_{}: {v}", i + 1),
            })
            .collect();
        out.extend(fit(row.join("; ")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_merges_paragraphs_without_cutting_words() {
        let para = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(4);
        let text = vec![para.trim(); 20].join("\n\n");
        let pieces = split(Kind::Text, &text).unwrap();
        assert_eq!(pieces.len(), 5, "{pieces:?}");
        for p in &pieces {
            assert!(p.chars().count() <= TARGET_CHARS);
            assert!(p.starts_with("Lorem") && p.ends_with("elit."), "{p}");
        }
        assert_eq!(split(Kind::Text, "one line").unwrap(), vec!["one line"]);
        assert!(split(Kind::Text, " \n\n ").unwrap().is_empty());
    }

    #[test]
    fn markdown_follows_headings() {
        let intro = "Intro words. ".repeat(50);
        let body = "Body words. ".repeat(82);
        let md = format!("# Guide\n\n{intro}\n\n## Setup\n\n{body}\n\n## Usage\n\n- a\n- b\n");
        let pieces = split(Kind::Markdown, &md).unwrap();
        assert_eq!(pieces.len(), 3, "{pieces:?}");
        assert!(pieces[0].starts_with("# Guide"));
        assert!(pieces[1].starts_with("## Setup"));
        assert!(pieces[2].starts_with("## Usage") && pieces[2].ends_with("- b"));
    }

    #[test]
    fn json_by_element_or_key() {
        assert_eq!(
            split(Kind::Json, r#"[{"a": 1}, "plain text", 3, []]"#).unwrap(),
            vec![r#"{"a":1}"#, "plain text", "3", "[]"]
        );
        assert_eq!(
            split(Kind::Json, r#"{"name": "Ada", "langs": ["en", "fr"]}"#).unwrap(),
            vec!["name: Ada", r#"langs: ["en","fr"]"#]
        );
        assert_eq!(split(Kind::Json, r#""just text""#).unwrap().len(), 1);
        assert!(split(Kind::Json, "[]").unwrap().is_empty());
        assert!(split(Kind::Json, "{oops")
            .unwrap_err()
            .starts_with("invalid JSON"));
        let long = format!(r#"["{}"]"#, "word ".repeat(2500));
        let pieces = split(Kind::Json, &long).unwrap();
        assert!(pieces.len() > 1 && pieces.iter().all(|p| p.len() <= TARGET_CHARS));
    }

    #[test]
    fn large_text_without_boundaries_is_split_whole_into_small_pieces() {
        for text in [
            "x".repeat(200_000),
            "word ".repeat(40_000),
            "é".repeat(100_000),
        ] {
            let pieces = split(Kind::Text, &text).unwrap();
            assert_eq!(
                pieces
                    .concat()
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .count(),
                text.chars().filter(|c| !c.is_whitespace()).count()
            );
            assert!(pieces.iter().all(|p| p.chars().count() <= TARGET_CHARS));
            let md = split(Kind::Markdown, &text).unwrap();
            assert!(md.iter().all(|p| p.chars().count() <= TARGET_CHARS));
        }
    }

    #[test]
    fn blocks_cut_on_char_boundaries_and_keep_everything() {
        let text = format!("{}\n\n{}", "a b ".repeat(3000), "ü".repeat(20_000));
        let parts = blocks(&text);
        assert_eq!(parts.concat(), text);
        assert!(parts.iter().all(|b| b.chars().count() <= BLOCK_CHARS));
    }

    #[test]
    fn csv_one_row_each() {
        let csv =
            "name, city ,,age\nAda,London,x,36\n\"Lovelace, A\",,,\n,,,\nBob,Paris,,40,extra\n";
        assert_eq!(
            split(Kind::Csv, csv).unwrap(),
            vec![
                "name: Ada; city: London; column_3: x; age: 36",
                "name: Lovelace, A",
                "name: Bob; city: Paris; age: 40; column_5: extra",
            ]
        );
        assert!(split(Kind::Csv, "a,b\n").unwrap().is_empty());
    }
}
