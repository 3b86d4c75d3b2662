//! Compiles a schema parsed by `fastavro.parse_schema` into a flat table of nodes.
//!
//! fastavro's parsed form has every name fully qualified and every later use of a named
//! type as its full name, so no namespace rules are needed here. Named types get their
//! slot before their body is compiled, which is what makes recursive schemas work.
//! Anything this codec cannot reproduce exactly (decimal, time and local-timestamp
//! logical types) makes compilation fail, and the caller keeps fastavro for that schema.

use std::collections::HashMap;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::UnsupportedSchema;

/// A schema type, as this codec reads and writes it.
pub enum Node {
    Null,
    Boolean,
    /// Written and read as a long: fastavro does not range-check ints outside unions.
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    TimestampMillis,
    TimestampMicros,
    /// Days since the epoch; read back as `datetime.date`.
    Date,
    /// A string read back as `uuid.UUID`.
    Uuid,
    Record(Vec<Field>),
    Enum(Enum),
    Array(usize),
    Map(usize),
    Union(Vec<usize>),
    Fixed(usize),
    /// A named type whose body is still being compiled (never left in a finished table).
    Pending,
}

pub struct Field {
    /// Interned, so dict lookups and inserts reuse its cached hash.
    pub name: Py<PyString>,
    pub node: usize,
    /// fastavro writes a missing field's default through the field's own type.
    pub default: Option<Py<PyAny>>,
}

pub struct Enum {
    pub symbols: Vec<Py<PyString>>,
    pub index: HashMap<String, usize>,
}

/// The compiled schema: `nodes[root]` is the top-level type.
pub struct Schema {
    pub nodes: Vec<Node>,
    pub root: usize,
    /// Smallest encoding of each node, in bytes; bounds the item count a block may claim.
    pub min_size: Vec<usize>,
}

struct Compiler<'py> {
    nodes: Vec<Node>,
    named: HashMap<String, usize>,
    py: Python<'py>,
}

fn unsupported(message: String) -> PyErr {
    UnsupportedSchema::new_err(message)
}

fn primitive(name: &str) -> Option<Node> {
    Some(match name {
        "null" => Node::Null,
        "boolean" => Node::Boolean,
        "int" => Node::Int,
        "long" => Node::Long,
        "float" => Node::Float,
        "double" => Node::Double,
        "bytes" => Node::Bytes,
        "string" => Node::String,
        _ => return None,
    })
}

impl<'py> Compiler<'py> {
    fn push(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn compile(&mut self, schema: &Bound<'py, PyAny>) -> PyResult<usize> {
        if let Ok(name) = schema.cast::<PyString>() {
            let name = name.to_str()?;
            if let Some(node) = primitive(name) {
                return Ok(self.push(node));
            }
            return self
                .named
                .get(name)
                .copied()
                .ok_or_else(|| unsupported(format!("unknown named type {name:?}")));
        }
        if let Ok(branches) = schema.cast::<PyList>() {
            let mut ids = Vec::with_capacity(branches.len());
            for branch in branches.iter() {
                ids.push(self.compile(&branch)?);
            }
            return Ok(self.push(Node::Union(ids)));
        }
        let dict = schema
            .cast::<PyDict>()
            .map_err(|_| unsupported(format!("not a schema: {schema}")))?;
        let kind: String = dict
            .get_item("type")?
            .ok_or_else(|| unsupported("a schema without \"type\"".into()))?
            .extract()
            .map_err(|_| unsupported("a \"type\" that is not a name".into()))?;
        let logical: Option<String> = match dict.get_item("logicalType")? {
            Some(value) => value.extract().ok(),
            None => None,
        };
        match kind.as_str() {
            "record" | "error" => self.record(dict),
            "enum" => {
                let symbols: Vec<String> = dict
                    .get_item("symbols")?
                    .map_or(Ok(vec![]), |s| s.extract())?;
                let node = Node::Enum(Enum {
                    index: symbols
                        .iter()
                        .enumerate()
                        .map(|(i, s)| (s.clone(), i))
                        .collect(),
                    symbols: symbols
                        .iter()
                        .map(|s| PyString::intern(self.py, s).unbind())
                        .collect(),
                });
                let id = self.push(node);
                self.name(dict, id)?;
                Ok(id)
            }
            "fixed" => {
                if logical.as_deref() == Some("decimal") {
                    return Err(unsupported("the decimal logical type".into()));
                }
                let size: usize = dict
                    .get_item("size")?
                    .ok_or_else(|| unsupported("a fixed type without size".into()))?
                    .extract()?;
                let id = self.push(Node::Fixed(size));
                self.name(dict, id)?;
                Ok(id)
            }
            "array" => {
                let items = dict
                    .get_item("items")?
                    .ok_or_else(|| unsupported("an array without items".into()))?;
                let items = self.compile(&items)?;
                Ok(self.push(Node::Array(items)))
            }
            "map" => {
                let values = dict
                    .get_item("values")?
                    .ok_or_else(|| unsupported("a map without values".into()))?;
                let values = self.compile(&values)?;
                Ok(self.push(Node::Map(values)))
            }
            other => {
                let node = match (other, logical.as_deref()) {
                    ("long", Some("timestamp-millis")) => Node::TimestampMillis,
                    ("long", Some("timestamp-micros")) => Node::TimestampMicros,
                    ("int", Some("date")) => Node::Date,
                    ("string", Some("uuid")) => Node::Uuid,
                    (
                        "long",
                        Some(
                            l @ ("local-timestamp-millis"
                            | "local-timestamp-micros"
                            | "time-micros"),
                        ),
                    )
                    | ("int", Some(l @ "time-millis"))
                    | ("bytes", Some(l @ "decimal")) => {
                        return Err(unsupported(format!("the {l} logical type")));
                    }
                    // Unknown logical types are read and written as their base type, as fastavro does.
                    _ => match primitive(other) {
                        Some(node) => node,
                        None => return self.compile(&PyString::new(self.py, other).into_any()),
                    },
                };
                Ok(self.push(node))
            }
        }
    }

    fn name(&mut self, dict: &Bound<'py, PyDict>, id: usize) -> PyResult<()> {
        if let Some(name) = dict.get_item("name")? {
            self.named.insert(name.extract()?, id);
        }
        Ok(())
    }

    fn record(&mut self, dict: &Bound<'py, PyDict>) -> PyResult<usize> {
        let id = self.push(Node::Pending);
        self.name(dict, id)?;
        let mut fields = Vec::new();
        if let Some(declared) = dict.get_item("fields")? {
            for field in declared.cast::<PyList>()?.iter() {
                let field = field.cast::<PyDict>()?;
                let name: String = field
                    .get_item("name")?
                    .ok_or_else(|| unsupported("a field without a name".into()))?
                    .extract()?;
                let declared_type = field
                    .get_item("type")?
                    .ok_or_else(|| unsupported(format!("field {name:?} has no type")))?;
                let node = self.compile(&declared_type)?;
                fields.push(Field {
                    name: PyString::intern(self.py, &name).unbind(),
                    node,
                    default: field.get_item("default")?.map(Bound::unbind),
                });
            }
        }
        self.nodes[id] = Node::Record(fields);
        Ok(id)
    }
}

/// Stands for "no finite value": a record that must contain itself.
const UNBOUNDED: usize = usize::MAX;

/// Smallest number of bytes any value of node `id` encodes to. Only records add up their
/// parts (unions, arrays and maps take at least one byte whatever they hold), so a record
/// met again while it is still being summed contains itself and has no finite encoding.
fn min_size(nodes: &[Node], id: usize, memo: &mut [Option<usize>], open: &mut [bool]) -> usize {
    if let Some(size) = memo[id] {
        return size;
    }
    let size = match &nodes[id] {
        Node::Null | Node::Pending => 0,
        Node::Float => 4,
        Node::Double => 8,
        Node::Fixed(n) => *n,
        Node::Record(fields) => {
            if open[id] {
                return UNBOUNDED;
            }
            open[id] = true;
            let sum = fields.iter().fold(0usize, |sum, f| {
                sum.saturating_add(min_size(nodes, f.node, memo, open))
            });
            open[id] = false;
            sum
        }
        _ => 1,
    };
    memo[id] = Some(size);
    size
}

/// Compiles `schema` (as returned by `fastavro.parse_schema`).
pub fn compile(schema: &Bound<'_, PyAny>) -> PyResult<Schema> {
    let mut compiler = Compiler {
        nodes: Vec::new(),
        named: HashMap::new(),
        py: schema.py(),
    };
    let root = compiler.compile(schema)?;
    let nodes = compiler.nodes;
    let mut memo = vec![None; nodes.len()];
    let mut open = vec![false; nodes.len()];
    let min_size = (0..nodes.len())
        .map(|id| min_size(&nodes, id, &mut memo, &mut open))
        .collect();
    Ok(Schema {
        nodes,
        root,
        min_size,
    })
}
