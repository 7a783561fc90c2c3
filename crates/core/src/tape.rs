//! A JSON body parsed into a flat tape, off any interpreter lock: one vector of nodes in
//! document order, strings left in the body where they have no escapes (and unescaped into
//! one side buffer where they do). Parsing allocates a handful of times per body instead of
//! once per key and string, and a consumer walks it in one pass (the Python bindings build
//! their result objects straight from it).

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

/// One JSON value of a [`Tape`]. Containers are followed by their elements (an object's as key
/// then value); `end` is the index just past their last descendant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    /// A string in the body (`owned == false`) or in the side buffer, at `start..start+len`.
    Str {
        start: u32,
        len: u32,
        owned: bool,
    },
    Array {
        len: u32,
        end: u32,
    },
    Object {
        len: u32,
        end: u32,
    },
}

/// A parsed JSON document.
#[derive(Debug, Clone)]
pub struct Tape {
    body: Vec<u8>,
    strings: String,
    nodes: Vec<Node>,
}

impl Tape {
    /// Parse `body` (all of it must be one JSON value); on failure the error and the body.
    pub fn parse(body: Vec<u8>) -> Result<Tape, (serde_json::Error, Vec<u8>)> {
        let mut nodes = Vec::with_capacity(body.len() / 16 + 4);
        let mut strings = String::new();
        let parsed = {
            let seed = Seed {
                nodes: &mut nodes,
                strings: &mut strings,
                base: body.as_ptr() as usize,
                len: body.len(),
            };
            // One UTF-8 check of the whole body (a fast pass over ASCII) lets serde_json read
            // it as a `str` and skip validating each string again (callgrind: a tenth of a
            // recall's client instructions). Invalid UTF-8 takes the byte reader, whose
            // error says where.
            match std::str::from_utf8(&body) {
                Ok(text) => {
                    let mut de = serde_json::Deserializer::from_str(text);
                    seed.deserialize(&mut de).and_then(|()| de.end())
                }
                Err(_) => {
                    let mut de = serde_json::Deserializer::from_slice(&body);
                    seed.deserialize(&mut de).and_then(|()| de.end())
                }
            }
        };
        if let Err(e) = parsed {
            return Err((e, body));
        }
        Ok(Tape {
            body,
            strings,
            nodes,
        })
    }

    /// The tape of a value already parsed (for replies that were not kept as bytes).
    pub fn from_value(value: &serde_json::Value) -> Tape {
        let body = serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec());
        Tape::parse(body).unwrap_or_else(|_| Tape {
            body: Vec::new(),
            strings: String::new(),
            nodes: vec![Node::Null],
        })
    }

    pub fn node(&self, i: usize) -> Node {
        self.nodes.get(i).copied().unwrap_or(Node::Null)
    }

    /// The index just past node `i` and everything inside it.
    pub fn skip(&self, i: usize) -> usize {
        match self.node(i) {
            Node::Array { end, .. } | Node::Object { end, .. } => end as usize,
            _ => i + 1,
        }
    }

    /// The text of a string node (empty for any other node).
    pub fn str(&self, i: usize) -> &str {
        match self.node(i) {
            Node::Str { start, len, owned } => {
                let (s, e) = (start as usize, start as usize + len as usize);
                if owned {
                    self.strings.get(s..e).unwrap_or("")
                } else {
                    match self.body.get(s..e) {
                        // SAFETY: only `Seed::push_str` makes body ranges, and only from a
                        // `&str` the parser borrowed from the body: valid UTF-8, in bounds.
                        Some(bytes) => unsafe { std::str::from_utf8_unchecked(bytes) },
                        None => "",
                    }
                }
            }
            _ => "",
        }
    }

    /// The (key index, value index) pairs of object node `i` (none for any other node).
    pub fn entries(&self, i: usize) -> Entries<'_> {
        let len = match self.node(i) {
            Node::Object { len, .. } => len as usize,
            _ => 0,
        };
        Entries {
            tape: self,
            next: i + 1,
            left: len,
        }
    }

    /// The value indexes of array node `i` (none for any other node).
    pub fn elements(&self, i: usize) -> Elements<'_> {
        let len = match self.node(i) {
            Node::Array { len, .. } => len as usize,
            _ => 0,
        };
        Elements {
            tape: self,
            next: i + 1,
            left: len,
        }
    }

    /// Node `i` as a `serde_json::Value` (for consumers that want one).
    pub fn to_value(&self, i: usize) -> serde_json::Value {
        use serde_json::Value;
        match self.node(i) {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(b),
            Node::I64(n) => n.into(),
            Node::U64(n) => n.into(),
            Node::F64(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
            Node::Str { .. } => Value::String(self.str(i).to_string()),
            Node::Array { .. } => {
                Value::Array(self.elements(i).map(|e| self.to_value(e)).collect())
            }
            Node::Object { .. } => Value::Object(
                self.entries(i)
                    .map(|(k, v)| (self.str(k).to_string(), self.to_value(v)))
                    .collect(),
            ),
        }
    }
}

pub struct Entries<'a> {
    tape: &'a Tape,
    next: usize,
    left: usize,
}

impl Iterator for Entries<'_> {
    type Item = (usize, usize);
    fn next(&mut self) -> Option<(usize, usize)> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let key = self.next;
        let value = key + 1;
        self.next = self.tape.skip(value);
        Some((key, value))
    }
}

pub struct Elements<'a> {
    tape: &'a Tape,
    next: usize,
    left: usize,
}

impl Iterator for Elements<'_> {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let i = self.next;
        self.next = self.tape.skip(i);
        Some(i)
    }
}

fn index(n: usize) -> Result<u32, String> {
    u32::try_from(n).map_err(|_| "the JSON document is too large".to_string())
}

struct Seed<'t> {
    nodes: &'t mut Vec<Node>,
    strings: &'t mut String,
    base: usize,
    len: usize,
}

impl Seed<'_> {
    fn reborrow(&mut self) -> Seed<'_> {
        Seed {
            nodes: self.nodes,
            strings: self.strings,
            base: self.base,
            len: self.len,
        }
    }

    fn push_str<E: de::Error>(&mut self, s: &str, borrowed: bool) -> Result<(), E> {
        let p = s.as_ptr() as usize;
        let node = if borrowed && p >= self.base && p + s.len() <= self.base + self.len {
            Node::Str {
                start: index(p - self.base).map_err(E::custom)?,
                len: index(s.len()).map_err(E::custom)?,
                owned: false,
            }
        } else {
            let start = index(self.strings.len()).map_err(E::custom)?;
            self.strings.push_str(s);
            Node::Str {
                start,
                len: index(s.len()).map_err(E::custom)?,
                owned: true,
            }
        };
        self.nodes.push(node);
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.nodes.push(Node::Null);
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        self.nodes.push(Node::Null);
        Ok(())
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.nodes.push(Node::Bool(v));
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.nodes.push(Node::I64(v));
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.nodes.push(if let Ok(i) = i64::try_from(v) {
            Node::I64(i)
        } else {
            Node::U64(v)
        });
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.nodes.push(Node::F64(v));
        Ok(())
    }
    fn visit_borrowed_str<E: de::Error>(mut self, v: &'de str) -> Result<(), E> {
        self.push_str(v, true)
    }
    fn visit_str<E: de::Error>(mut self, v: &str) -> Result<(), E> {
        self.push_str(v, false)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let at = self.nodes.len();
        self.nodes.push(Node::Array { len: 0, end: 0 });
        let mut len = 0usize;
        while seq.next_element_seed(self.reborrow())?.is_some() {
            len += 1;
        }
        let end = index(self.nodes.len()).map_err(de::Error::custom)?;
        self.nodes[at] = Node::Array {
            len: index(len).map_err(de::Error::custom)?,
            end,
        };
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let at = self.nodes.len();
        self.nodes.push(Node::Object { len: 0, end: 0 });
        let mut len = 0usize;
        while map.next_key_seed(KeySeed(self.reborrow()))?.is_some() {
            map.next_value_seed(self.reborrow())?;
            len += 1;
        }
        let end = index(self.nodes.len()).map_err(de::Error::custom)?;
        self.nodes[at] = Node::Object {
            len: index(len).map_err(de::Error::custom)?,
            end,
        };
        Ok(())
    }
}

/// An object key: always a string.
struct KeySeed<'t>(Seed<'t>);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E: de::Error>(mut self, v: &'de str) -> Result<(), E> {
        self.0.push_str(v, true)
    }
    fn visit_str<E: de::Error>(mut self, v: &str) -> Result<(), E> {
        self.0.push_str(v, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_what_serde_json_reads() {
        let text = r#"{"a": 1, "b": [true, null, -2, 18446744073709551615, 1.5, "x\"y", "plain"],
                       "c": {"k\u00e9y": {}}, "d": [], "e": "caf\u00e9 ☕"}"#;
        let tape = Tape::parse(text.as_bytes().to_vec())
            .map_err(|e| e.0)
            .unwrap();
        let want: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(tape.to_value(0), want);
        assert_eq!(tape.skip(0), tape.nodes.len());
        let keys: Vec<&str> = tape.entries(0).map(|(k, _)| tape.str(k)).collect();
        assert_eq!(keys, ["a", "b", "c", "d", "e"]);
        let (_, b) = tape.entries(0).nth(1).unwrap();
        assert_eq!(tape.elements(b).count(), 7);
        assert_eq!(tape.str(tape.elements(b).nth(5).unwrap()), "x\"y");
    }

    #[test]
    fn refuses_what_is_not_one_json_value() {
        for bad in ["", "{", "[1,]", "{} {}", "<html>", "{\"a\" 1}"] {
            assert!(Tape::parse(bad.as_bytes().to_vec()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn invalid_utf8_is_an_error_from_either_reader() {
        // Inside a string (the byte reader's error), and outside one.
        for bad in [
            &b"{\"a\": \"\xff\"}"[..],
            &b"{\"a\": 1}\xff"[..],
            &b"[\"ok\", \"\xc3\"]"[..],
        ] {
            let (e, body) = Tape::parse(bad.to_vec()).unwrap_err();
            assert_eq!(body, bad);
            assert!(!e.to_string().is_empty());
        }
        let tape = Tape::parse("[\"caf\u{e9}\", \"\u{2615}\"]".as_bytes().to_vec())
            .map_err(|e| e.0)
            .unwrap();
        assert_eq!(tape.to_value(0), json!(["caf\u{e9}", "\u{2615}"]));
    }

    #[test]
    fn from_value_matches() {
        let v = json!({"memories": [{"id": "m1", "tags": ["a"]}], "count": 1});
        assert_eq!(Tape::from_value(&v).to_value(0), v);
    }
}
