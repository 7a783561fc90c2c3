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
use std::sync::Arc;

use chrono::{Datelike, Timelike};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};
use serde_json::{Map, Value};

use crate::convert::to_py;

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

/// How one result class is built from a JSON object.
#[pyclass(frozen, module = "memanto_client._native")]
pub struct Builder {
    cls: Py<PyType>,
    name: String,
    fields: HashMap<String, (Py<PyString>, Kind)>,
    /// Every field at its default; copied into each new instance first.
    template: Py<PyDict>,
}

#[pymethods]
impl Builder {
    /// `Builder(cls, plan, template)`: `plan` maps each JSON key to `"str"`, `"float"`,
    /// `"int"`, `"bool"`, `"time"`, `"tuple"`, `"any"` or a nested `Builder`; `template` holds
    /// the defaults of every field (with `extra` and `_raw`).
    #[new]
    fn new(cls: Bound<'_, PyType>, plan: Bound<'_, PyDict>, template: Bound<'_, PyDict>) -> PyResult<Self> {
        let py = cls.py();
        let name = cls.name()?.to_string();
        let mut fields = HashMap::new();
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
            fields.insert(key, (interned, kind));
        }
        Ok(Builder {
            cls: cls.unbind(),
            name,
            fields,
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
        self.build(py, &Root::new(value), overrides)
    }
}

/// A parsed body shared by every object built from it.
pub struct Root(Arc<Value>);

impl Root {
    pub fn new(value: Value) -> Self {
        Root(Arc::new(value))
    }
}

/// One step from a JSON object to one of its parts.
#[derive(Clone)]
enum Step {
    Key(Arc<str>),
    Index(usize),
}

/// The JSON a result object was built from, kept without converting it: `to_dict()` turns it
/// into fresh Python objects when asked.
#[pyclass(frozen, module = "memanto_client._native")]
pub struct RawJson {
    root: Arc<Value>,
    path: Vec<Step>,
}

impl RawJson {
    fn value(&self) -> &Value {
        let mut v = self.root.as_ref();
        for step in &self.path {
            v = match (step, v) {
                (Step::Key(k), Value::Object(m)) => m.get(k.as_ref()).unwrap_or(&Value::Null),
                (Step::Index(i), Value::Array(a)) => a.get(*i).unwrap_or(&Value::Null),
                _ => &Value::Null,
            };
        }
        v
    }
}

#[pymethods]
impl RawJson {
    /// The JSON as new Python objects (a deep copy each time).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, self.value())
    }

    fn __repr__(&self) -> &'static str {
        "<the server's JSON; see to_dict()>"
    }
}

struct Cached {
    object_new: Py<PyAny>,
    datetime: Py<PyAny>,
    utc: Py<PyAny>,
    mapping_proxy: Py<PyAny>,
}

static CACHED: PyOnceLock<Cached> = PyOnceLock::new();

fn cached(py: Python<'_>) -> PyResult<&Cached> {
    CACHED.get_or_try_init(py, || {
        let dt = py.import("datetime")?;
        Ok(Cached {
            object_new: py.import("builtins")?.getattr("object")?.getattr("__new__")?.unbind(),
            datetime: dt.getattr("datetime")?.unbind(),
            utc: dt.getattr("timezone")?.getattr("utc")?.unbind(),
            mapping_proxy: py.import("types")?.getattr("MappingProxyType")?.unbind(),
        })
    })
}

/// The Python type name of what `value` would become (for the unexpected-shape message).
fn py_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// The `ServerError` `_types.json_object` raises for a body of the wrong shape.
fn unexpected_shape(py: Python<'_>, what: &str, value: &Value) -> PyErr {
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

fn time_to_py<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
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
        path: &[Step],
        key: &str,
        value: &Value,
        kind: &Kind,
    ) -> PyResult<Bound<'py, PyAny>> {
        let none = || py.None().into_bound(py);
        Ok(match (kind, value) {
            (Kind::Nested(b), Value::Array(items)) => {
                let b = b.get();
                let mut built = Vec::with_capacity(items.len());
                let mut sub: Vec<Step> = path.to_vec();
                sub.push(Step::Key(Arc::from(key)));
                for (i, item) in items.iter().enumerate() {
                    if let Value::Object(m) = item {
                        sub.push(Step::Index(i));
                        built.push(b.build_object(py, root, &sub, m, None)?);
                        sub.pop();
                    }
                }
                PyTuple::new(py, built)?.into_any()
            }
            (Kind::Nested(_), _) => PyTuple::empty(py).into_any(),
            (_, Value::Null) => none(),
            (Kind::Any, v) => to_py(py, v)?,
            (Kind::Str, Value::String(s)) => PyString::new(py, s).into_any(),
            (Kind::Bool, Value::Bool(b)) => b.into_pyobject(py)?.to_owned().into_any(),
            (Kind::Float, Value::Number(_)) | (Kind::Int, Value::Number(_)) => {
                let Value::Number(n) = value else { unreachable!() };
                if let Some(i) = n.as_i64() {
                    i.into_pyobject(py)?.into_any()
                } else if let Some(u) = n.as_u64() {
                    u.into_pyobject(py)?.into_any()
                } else if matches!(kind, Kind::Float) {
                    n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
                } else {
                    none()
                }
            }
            (Kind::Time, Value::String(s)) => time_to_py(py, s)?,
            (Kind::Strings, Value::Array(items)) => PyTuple::new(
                py,
                items
                    .iter()
                    .filter_map(|v| v.as_str())
                    .map(|s| PyString::new(py, s))
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
        path: &[Step],
        map: &Map<String, Value>,
        overrides: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let c = cached(py)?;
        let cls = self.cls.bind(py);
        let obj = c.object_new.bind(py).call1((cls,))?;
        let dict = obj.getattr(pyo3::intern!(py, "__dict__"))?;
        let dict = dict.cast::<PyDict>()?;
        dict.update(self.template.bind(py).as_mapping())?;
        let mut extra: Option<Bound<'py, PyDict>> = None;
        for (key, value) in map {
            match self.fields.get(key) {
                Some((name, kind)) => {
                    if overrides.is_some_and(|o| o.contains(name).unwrap_or(false)) {
                        continue;
                    }
                    dict.set_item(name, self.convert(py, root, path, key, value, kind)?)?;
                }
                None => {
                    let e = extra.get_or_insert_with(|| PyDict::new(py));
                    e.set_item(key, to_py(py, value)?)?;
                }
            }
        }
        if let Some(o) = overrides {
            dict.update(o.as_mapping())?;
        }
        if let Some(e) = extra {
            dict.set_item(pyo3::intern!(py, "extra"), c.mapping_proxy.bind(py).call1((e,))?)?;
        }
        let raw = RawJson {
            root: root.0.clone(),
            path: path.to_vec(),
        };
        dict.set_item(pyo3::intern!(py, "_raw"), Py::new(py, raw)?)?;
        Ok(obj)
    }

    /// Build this class from the whole body `root` (a `ServerError` if it is not an object).
    pub fn build<'py>(
        &self,
        py: Python<'py>,
        root: &Root,
        overrides: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match root.0.as_ref() {
            Value::Object(map) => self.build_object(py, root, &[], map, overrides),
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
            How::Build(b, overrides) => b.get().build(py, root, overrides.as_ref().map(|o| o.bind(py))),
            How::Call(f) => f.bind(py).call1((to_py(py, root.0.as_ref())?,)),
        }
    }
}

/// Just the JSON as Python objects (for replies nobody asked to build).
pub fn plain<'py>(py: Python<'py>, root: &Root) -> PyResult<Bound<'py, PyAny>> {
    to_py(py, root.0.as_ref())
}
