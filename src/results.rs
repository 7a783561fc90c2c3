//! Result objects built once. The server's JSON, parsed off the GIL into a `serde_json::Value`,
//! becomes the SDK's frozen result dataclasses (`memanto_client._types`) in one step here: no
//! intermediate tree of Python dicts, no reflection per call, timestamps parsed in Rust.
//!
//! Each result class is described once, at import, by a [`Builder`]: its fields and how to
//! convert each (`_types._plan`), and a template of its defaults. Building an object fills the
//! instance dict of `object.__new__(cls)` directly, which is what the dataclass `__init__`
//! would have produced. `to_dict()` reads the JSON back lazily from [`RawJson`], which shares
//! the parsed body and points at the object's part of it.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use rustc_hash::FxHasher;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{Datelike, Timelike};
use memanto_core::tape::{Node, Tape};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString, PyTuple, PyType};
use serde_json::Value;

/// How one field's JSON value becomes a Python value. A value of another type than the
/// field's becomes None (the raw value stays in `to_dict()`), as `_types._convert` does.
enum Kind {
    Str,
    Float,
    Int,
    Bool,
    Time,
    /// A tuple of the strings in a list (other elements dropped; not a list: `()`).
    Strings,
    Any,
    /// A tuple of result objects built from the JSON objects of a list (not a list: `()`).
    Nested(Py<Builder>),
}

struct Field {
    key: String,
    name: Py<PyString>,
    kind: Kind,
    /// A JSON null leaves it as it is in the template: None (skips a dict store per null).
    null_is_default: bool,
    /// Which field followed this one last time (`usize::MAX`: none yet).
    next: AtomicUsize,
}

/// How one result class is built from a JSON object.
#[pyclass(frozen, module = "memanto_client._native")]
pub struct Builder {
    cls: Py<PyType>,
    name: String,
    /// The fields, and where each is in `fields` by its JSON key.
    fields: Vec<Field>,
    by_key: HashMap<String, usize, BuildHasherDefault<FxHasher>>,
    /// Which field the server sent first last time (servers send keys in a fixed order, so
    /// each key is first compared with the one predicted, and only looked up if it differs).
    first: AtomicUsize,
    /// Every field at its default; copied into each new instance first.
    template: Py<PyDict>,
}

#[pymethods]
impl Builder {
    /// `Builder(cls, plan, template)`: `plan` maps each JSON key to `"str"`, `"float"`,
    /// `"int"`, `"bool"`, `"time"`, `"tuple"`, `"any"` or a nested `Builder`; `template` holds
    /// the defaults of every field (with `extra` and `_raw`).
    #[new]
    fn new(
        cls: Bound<'_, PyType>,
        plan: Bound<'_, PyDict>,
        template: Bound<'_, PyDict>,
    ) -> PyResult<Self> {
        let py = cls.py();
        let name = cls.name()?.to_string();
        let mut fields = Vec::new();
        let mut by_key = HashMap::default();
        for (key, how) in plan.iter() {
            let key: String = key.extract()?;
            let kind = if let Ok(nested) = how.cast::<Builder>() {
                Kind::Nested(nested.clone().unbind())
            } else {
                match how.extract::<String>()?.as_str() {
                    "str" => Kind::Str,
                    "float" => Kind::Float,
                    "int" => Kind::Int,
                    "bool" => Kind::Bool,
                    "time" => Kind::Time,
                    "tuple" => Kind::Strings,
                    "any" => Kind::Any,
                    other => {
                        return Err(pyo3::exceptions::PyValueError::new_err(format!(
                            "unknown field kind {other:?} for {name}.{key}"
                        )))
                    }
                }
            };
            let interned = PyString::intern(py, &key).unbind();
            by_key.insert(key.clone(), fields.len());
            let null_is_default = !matches!(kind, Kind::Nested(_))
                && template.get_item(&interned)?.is_some_and(|d| d.is_none());
            fields.push(Field {
                key,
                name: interned,
                kind,
                null_is_default,
                next: AtomicUsize::new(usize::MAX),
            });
        }
        Ok(Builder {
            cls: cls.unbind(),
            name,
            fields,
            by_key,
            first: AtomicUsize::new(usize::MAX),
            template: template.unbind(),
        })
    }

    /// Build from a Python mapping (for tests and for data that did not come off the wire).
    #[pyo3(signature = (data, overrides=None))]
    fn build_from<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        overrides: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let value: Value = crate::convert::from_py(data)?;
        self.build(py, &Root::new(Tape::from_value(&value)), overrides)
    }
}

/// A parsed body (a tape, see `memanto_core::tape`) shared by every object built from it.
#[derive(Clone)]
pub struct Root(Arc<Tape>);

impl Root {
    pub fn new(tape: Tape) -> Self {
        Root(Arc::new(tape))
    }
}

/// A reply body the bindings can build from.
pub trait IntoRoot: Send + 'static {
    /// The body as a tape (parsing it first if it was deferred: done without the GIL).
    fn into_root(self) -> memanto_core::Result<Root>;
}

impl IntoRoot for Tape {
    fn into_root(self) -> memanto_core::Result<Root> {
        Ok(Root::new(self))
    }
}

impl IntoRoot for Value {
    fn into_root(self) -> memanto_core::Result<Root> {
        Ok(Root::new(Tape::from_value(&self)))
    }
}

impl IntoRoot for memanto_core::Deferred {
    fn into_root(self) -> memanto_core::Result<Root> {
        self.parse::<Tape>().map(Root::new)
    }
}

/// Node `i` of `tape` as new Python objects.
pub fn node_to_py<'py>(py: Python<'py>, tape: &Tape, i: usize) -> PyResult<Bound<'py, PyAny>> {
    Ok(match tape.node(i) {
        Node::Null => py.None().into_bound(py),
        Node::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Node::I64(n) => n.into_pyobject(py)?.into_any(),
        Node::U64(n) => n.into_pyobject(py)?.into_any(),
        Node::F64(f) => f.into_pyobject(py)?.into_any(),
        Node::Str { .. } => PyString::new(py, tape.str(i)).into_any(),
        Node::Array { .. } => {
            let items = tape
                .elements(i)
                .map(|e| node_to_py(py, tape, e))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Node::Object { .. } => {
            let d = PyDict::new(py);
            for (k, v) in tape.entries(i) {
                d.set_item(tape.str(k), node_to_py(py, tape, v)?)?;
            }
            d.into_any()
        }
    })
}

/// The JSON a result object was built from, kept without converting it: `to_dict()` turns it
/// into fresh Python objects when asked.
#[pyclass(frozen, module = "memanto_client._native")]
pub struct RawJson {
    root: Root,
    node: usize,
}

#[pymethods]
impl RawJson {
    /// The JSON as new Python objects (a deep copy each time).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        node_to_py(py, &self.root.0, self.node)
    }

    fn __repr__(&self) -> &'static str {
        "<the server's JSON; see to_dict()>"
    }
}

/// A result's `extra`: the fields its class does not know, as a read-only mapping that turns
/// them into Python objects on first use.
#[pyclass(frozen, mapping, module = "memanto_client._native")]
pub struct Extra {
    root: Root,
    entries: Vec<(u32, u32)>,
    dict: PyOnceLock<Py<PyDict>>,
}

impl Extra {
    fn dict<'py>(&self, py: Python<'py>) -> PyResult<&Bound<'py, PyDict>> {
        let d = self.dict.get_or_try_init(py, || {
            let d = PyDict::new(py);
            for &(k, v) in &self.entries {
                d.set_item(
                    self.root.0.str(k as usize),
                    node_to_py(py, &self.root.0, v as usize)?,
                )?;
            }
            Ok::<_, PyErr>(d.unbind())
        })?;
        Ok(d.bind(py))
    }
}

#[pymethods]
impl Extra {
    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.dict(py)?.as_any().get_item(key)
    }
    fn __len__(&self) -> usize {
        self.entries.len()
    }
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.dict(py)?.as_any().try_iter().map(Bound::into_any)
    }
    fn __contains__<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>) -> PyResult<bool> {
        self.dict(py)?.contains(key)
    }
    fn __eq__<'py>(&self, py: Python<'py>, other: &Bound<'py, PyAny>) -> PyResult<bool> {
        let other = match other.cast::<Extra>() {
            Ok(e) => e.get().dict(py)?.clone().into_any(),
            Err(_) => other.clone(),
        };
        self.dict(py)?.as_any().eq(other)
    }
    #[pyo3(signature = (key, default=None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Ok(match self.dict(py)?.get_item(key)? {
            Some(v) => v,
            None => default.unwrap_or_else(|| py.None().into_bound(py)),
        })
    }
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.dict(py)?.call_method0(pyo3::intern!(py, "keys"))
    }
    fn items<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.dict(py)?.call_method0(pyo3::intern!(py, "items"))
    }
    fn values<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.dict(py)?.call_method0(pyo3::intern!(py, "values"))
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("mappingproxy({})", self.dict(py)?.repr()?))
    }
}

struct Cached {
    object_new: Py<PyAny>,
    datetime: Py<PyAny>,
    utc: Py<PyAny>,
}

static CACHED: PyOnceLock<Cached> = PyOnceLock::new();

fn cached(py: Python<'_>) -> PyResult<&Cached> {
    CACHED.get_or_try_init(py, || {
        let dt = py.import("datetime")?;
        Ok(Cached {
            object_new: py
                .import("builtins")?
                .getattr("object")?
                .getattr("__new__")?
                .unbind(),
            datetime: dt.getattr("datetime")?.unbind(),
            utc: dt.getattr("timezone")?.getattr("utc")?.unbind(),
        })
    })
}

/// The Python type name of what `value` would become (for the unexpected-shape message).
fn py_type_name(node: Node) -> &'static str {
    match node {
        Node::Null => "NoneType",
        Node::Bool(_) => "bool",
        Node::F64(_) => "float",
        Node::I64(_) | Node::U64(_) => "int",
        Node::Str { .. } => "str",
        Node::Array { .. } => "list",
        Node::Object { .. } => "dict",
    }
}

/// The `ServerError` `_types.json_object` raises for a body of the wrong shape.
fn unexpected_shape(py: Python<'_>, what: &str, value: Node) -> PyErr {
    let message = format!(
        "The server sent an unexpected response for {what}: expected a JSON object, got {}. \
         Check that base_url points at a Memanto server.",
        py_type_name(value)
    );
    match py
        .import("memanto_client.exceptions")
        .and_then(|m| m.getattr("ServerError"))
        .and_then(|cls| cls.call1((message.as_str(),)))
    {
        Ok(e) => PyErr::from_value(e),
        Err(e) => e,
    }
}

/// How many converted timestamps each thread keeps (then it starts over).
const TIME_CACHE: usize = 1024;

thread_local! {
    /// Timestamps converted on this thread, by their text: datetimes are immutable, a memory's
    /// `updated_at` is usually its `created_at`, and the same memories come back call after
    /// call, so most timestamps of a reply were seen before (building a datetime takes a
    /// Python call under abi3, which has no datetime C API).
    static TIMES: std::cell::RefCell<HashMap<Box<str>, Py<PyAny>, BuildHasherDefault<FxHasher>>> =
        std::cell::RefCell::new(HashMap::default());
}

/// Strings up to this many bytes go through [`WORDS`].
const WORD_MAX: usize = 24;
/// Slots of [`WORDS`] (a power of two).
const WORD_SLOTS: usize = 512;

thread_local! {
    /// The short strings of replies seen last, by hash (one per slot, the newest wins): a
    /// memory's type, status, provenance, source and agent id, and most tags, repeat from
    /// memory to memory and call to call, and a string object is immutable, so a repeat is
    /// the same object again instead of a new one decoded from UTF-8.
    static WORDS: std::cell::RefCell<Vec<Option<(Box<str>, Py<PyString>)>>> =
        std::cell::RefCell::new(Vec::new());
}

/// `text` as a Python string.
fn str_to_py<'py>(py: Python<'py>, text: &str) -> Bound<'py, PyString> {
    if text.is_empty() || text.len() > WORD_MAX {
        return PyString::new(py, text);
    }
    let slot = {
        use std::hash::Hasher;
        let mut h = FxHasher::default();
        h.write(text.as_bytes());
        h.finish() as usize & (WORD_SLOTS - 1)
    };
    let hit = WORDS.with(|words| match words.try_borrow() {
        Ok(w) => match w.get(slot) {
            Some(Some((seen, v))) if &**seen == text => Some(v.clone_ref(py)),
            _ => None,
        },
        Err(_) => None,
    });
    if let Some(v) = hit {
        return v.into_bound(py);
    }
    let v = PyString::new(py, text);
    WORDS.with(|words| {
        if let Ok(mut w) = words.try_borrow_mut() {
            if w.is_empty() {
                w.resize_with(WORD_SLOTS, || None);
            }
            w[slot] = Some((text.into(), v.clone().unbind()));
        }
    });
    v
}

fn time_to_py<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let hit = TIMES.with(|times| match times.try_borrow() {
        Ok(t) => t.get(text).map(|v| v.clone_ref(py)),
        Err(_) => None,
    });
    if let Some(v) = hit {
        return Ok(v.into_bound(py));
    }
    let v = new_time(py, text)?;
    TIMES.with(|times| {
        if let Ok(mut t) = times.try_borrow_mut() {
            if t.len() >= TIME_CACHE {
                t.clear();
            }
            t.insert(text.into(), v.clone().unbind());
        }
    });
    Ok(v)
}

fn new_time<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let Some(t) = memanto_core::time::parse_timestamp(text) else {
        return Ok(py.None().into_bound(py));
    };
    if !(1..=9999).contains(&t.year()) {
        return Ok(py.None().into_bound(py));
    }
    let c = cached(py)?;
    c.datetime.bind(py).call1((
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        (t.nanosecond() / 1_000).min(999_999),
        c.utc.bind(py),
    ))
}

impl Builder {
    fn convert<'py>(
        &self,
        py: Python<'py>,
        root: &Root,
        i: usize,
        kind: &Kind,
    ) -> PyResult<Bound<'py, PyAny>> {
        let tape = &root.0;
        let node = tape.node(i);
        let none = || py.None().into_bound(py);
        Ok(match (kind, node) {
            (Kind::Nested(b), Node::Array { .. }) => {
                let b = b.get();
                let built = tape
                    .elements(i)
                    .filter(|&e| matches!(tape.node(e), Node::Object { .. }))
                    .map(|e| b.build_object(py, root, e, None))
                    .collect::<PyResult<Vec<_>>>()?;
                PyTuple::new(py, built)?.into_any()
            }
            (Kind::Nested(_), _) => PyTuple::empty(py).into_any(),
            (_, Node::Null) => none(),
            (Kind::Any, _) => node_to_py(py, tape, i)?,
            (Kind::Str, Node::Str { .. }) => str_to_py(py, tape.str(i)).into_any(),
            (Kind::Bool, Node::Bool(b)) => b.into_pyobject(py)?.to_owned().into_any(),
            (Kind::Float | Kind::Int, Node::I64(n)) => n.into_pyobject(py)?.into_any(),
            (Kind::Float | Kind::Int, Node::U64(n)) => n.into_pyobject(py)?.into_any(),
            (Kind::Float, Node::F64(f)) => f.into_pyobject(py)?.into_any(),
            (Kind::Time, Node::Str { .. }) => time_to_py(py, tape.str(i))?,
            (Kind::Strings, Node::Array { .. }) => PyTuple::new(
                py,
                tape.elements(i)
                    .filter(|&e| matches!(tape.node(e), Node::Str { .. }))
                    .map(|e| str_to_py(py, tape.str(e)))
                    .collect::<Vec<_>>(),
            )?
            .into_any(),
            (Kind::Strings, _) => PyTuple::empty(py).into_any(),
            _ => none(),
        })
    }

    fn build_object<'py>(
        &self,
        py: Python<'py>,
        root: &Root,
        at: usize,
        overrides: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = cached(py)?;
        let tape = &root.0;
        // The instance dict starts as a copy of the defaults (a copy of a dict of the same
        // keys is one block copy) and becomes the instance's `__dict__` once filled.
        let dict = self.template.bind(py).copy()?;
        let dict = &dict;
        let mut unknown: Vec<(u32, u32)> = Vec::new();
        let mut predicted = &self.first;
        for (k, v) in tape.entries(at) {
            let key = tape.str(k);
            let guess = predicted.load(Ordering::Relaxed);
            let found = match self.fields.get(guess) {
                Some(f) if f.key == key => Some(guess),
                _ => self.by_key.get(key).copied(),
            };
            let Some(i) = found else {
                unknown.push((k as u32, v as u32));
                continue;
            };
            if i != guess {
                predicted.store(i, Ordering::Relaxed);
            }
            let field = &self.fields[i];
            predicted = &field.next;
            if field.null_is_default && tape.node(v) == Node::Null
                || overrides.is_some_and(|o| o.contains(&field.name).unwrap_or(false))
            {
                continue;
            }
            dict.set_item(&field.name, self.convert(py, root, v, &field.kind)?)?;
        }
        if let Some(o) = overrides {
            dict.update(o.as_mapping())?;
        }
        if !unknown.is_empty() {
            let extra = Extra {
                root: root.clone(),
                entries: unknown,
                dict: PyOnceLock::new(),
            };
            dict.set_item(pyo3::intern!(py, "extra"), Py::new(py, extra)?)?;
        }
        let raw = RawJson {
            root: root.clone(),
            node: at,
        };
        dict.set_item(pyo3::intern!(py, "_raw"), Py::new(py, raw)?)?;
        let obj = c.object_new.bind(py).call1((self.cls.bind(py),))?;
        // SAFETY: both pointers are live objects held by this frame; the call takes its own
        // reference to the dict (stable ABI since 3.3).
        let set = unsafe {
            pyo3::ffi::PyObject_GenericSetDict(obj.as_ptr(), dict.as_ptr(), std::ptr::null_mut())
        };
        if set != 0 {
            return Err(PyErr::fetch(py));
        }
        Ok(obj)
    }

    /// Build this class from the whole body `root` (a `ServerError` if it is not an object).
    pub fn build<'py>(
        &self,
        py: Python<'py>,
        root: &Root,
        overrides: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match root.0.node(0) {
            Node::Object { .. } => self.build_object(py, root, 0, overrides),
            other => Err(unexpected_shape(py, &self.name, other)),
        }
    }
}

/// What to make of a reply: a result class, or a Python callable given the JSON as Python
/// objects (for results that need more than a field plan).
pub enum How {
    Build(Py<Builder>, Option<Py<PyDict>>),
    Call(Py<PyAny>),
}

impl How {
    pub fn from_py(how: &Bound<'_, PyAny>, overrides: Option<Bound<'_, PyDict>>) -> Self {
        match how.cast::<Builder>() {
            Ok(b) => How::Build(b.clone().unbind(), overrides.map(Bound::unbind)),
            Err(_) => How::Call(how.clone().unbind()),
        }
    }

    pub fn apply<'py>(&self, py: Python<'py>, root: &Root) -> PyResult<Bound<'py, PyAny>> {
        match self {
            How::Build(b, overrides) => {
                b.get()
                    .build(py, root, overrides.as_ref().map(|o| o.bind(py)))
            }
            How::Call(f) => f.bind(py).call1((node_to_py(py, &root.0, 0)?,)),
        }
    }
}

/// Just the JSON as Python objects (for replies nobody asked to build).
pub fn plain<'py>(py: Python<'py>, root: &Root) -> PyResult<Bound<'py, PyAny>> {
    node_to_py(py, &root.0, 0)
}
