//! Python objects → Avro binary, byte for byte what fastavro's `schemaless_writer` writes.
//!
//! The writer takes only values whose encoding it can prove identical to fastavro's:
//! exact built-in types (a dict, not a Mapping; a list, not a Sequence; an aware
//! datetime, not a naive one, which fastavro converts through the local time zone).
//! For anything else it *declines*, and the caller hands the whole record to fastavro,
//! which then writes it or raises its own error. So declining never changes a result,
//! only its speed.
//!
//! Unions follow fastavro's rule, "the first branch the value validates against", with a
//! table of which branches a value of each Python type could validate against at all.
//! Inside a union every value is written *strictly* (as fastavro's validator would accept
//! it: ints within 32 bits for `int`, fixed of the right size, no `-type` key naming
//! another record), so that whenever this writer picks a branch, fastavro picks it too.

use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyBytes, PyDateAccess, PyDelta, PyDeltaAccess, PyDict, PyFloat, PyInt, PyList,
    PyString, PyTimeAccess, PyTzInfoAccess,
};

use crate::calendar::days_from_civil;
use crate::schema::{Node, Schema};
use crate::Codec;

/// The value is not one this writer handles; fastavro must write the record.
pub struct Decline;

type Written = Result<(), Decline>;

/// What a value is, as far as choosing a union branch goes.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    None,
    Bool,
    Int,
    Float,
    Str,
    Bytes,
    Dict,
    List,
    DateTime,
    Date,
    Uuid,
    Other,
}

use crate::decode::MAX_DEPTH;

pub fn write_long(buf: &mut Vec<u8>, value: i64) {
    let mut n = ((value << 1) ^ (value >> 63)) as u64;
    while n >= 0x80 {
        buf.push((n as u8) | 0x80);
        n >>= 7;
    }
    buf.push(n as u8);
}

/// The UTF-8 of a str (one with lone surrogates has none: fastavro raises for it).
fn utf8<'a>(value: &'a Bound<'_, PyAny>) -> Result<&'a str, Decline> {
    value
        .cast::<PyString>()
        .map_err(|_| Decline)?
        .to_str()
        .map_err(|_| Decline)
}

fn write_str(buf: &mut Vec<u8>, text: &str) {
    write_long(buf, text.len() as i64);
    buf.extend_from_slice(text.as_bytes());
}

impl Codec {
    fn kind(&self, value: &Bound<'_, PyAny>) -> Kind {
        let py = value.py();
        if value.is_none() {
            Kind::None
        } else if value.is_exact_instance_of::<PyString>() {
            Kind::Str
        } else if value.is_exact_instance_of::<PyInt>() {
            Kind::Int
        } else if value.is_exact_instance_of::<PyFloat>() {
            Kind::Float
        } else if value.is_exact_instance_of::<PyBool>() {
            Kind::Bool
        } else if value.is_exact_instance_of::<PyDict>() {
            Kind::Dict
        } else if value.is_exact_instance_of::<PyList>() {
            Kind::List
        } else if value.is_exact_instance_of::<PyBytes>() {
            Kind::Bytes
        } else {
            let kind = value.get_type();
            if kind.is(self.datetime_type.bind(py)) {
                Kind::DateTime
            } else if kind.is(self.date_type.bind(py)) {
                Kind::Date
            } else if kind.is(self.uuid_type.bind(py)) {
                Kind::Uuid
            } else {
                Kind::Other
            }
        }
    }

    /// Could fastavro's validator accept a value of `kind` for this node? (Over-approximate.)
    fn could_validate(node: &Node, kind: Kind) -> bool {
        match node {
            Node::Null => kind == Kind::None,
            Node::Boolean => kind == Kind::Bool,
            Node::Int | Node::Long => kind == Kind::Int,
            Node::Float | Node::Double => matches!(kind, Kind::Int | Kind::Float),
            Node::String | Node::Enum(_) => kind == Kind::Str,
            Node::Uuid => matches!(kind, Kind::Str | Kind::Uuid),
            Node::Bytes | Node::Fixed(_) => kind == Kind::Bytes,
            Node::TimestampMillis | Node::TimestampMicros => {
                matches!(kind, Kind::Int | Kind::DateTime)
            }
            Node::Date => matches!(kind, Kind::Int | Kind::Date | Kind::DateTime | Kind::Str),
            Node::Record(_) | Node::Map(_) => kind == Kind::Dict,
            // bytes are a Sequence of ints to fastavro's validator
            Node::Array(_) => matches!(kind, Kind::List | Kind::Bytes),
            Node::Union(_) | Node::Pending => true,
        }
    }

    pub fn write(
        &self,
        schema: &Schema,
        id: usize,
        value: &Bound<'_, PyAny>,
        buf: &mut Vec<u8>,
        strict: bool,
        depth: usize,
    ) -> Written {
        if depth >= MAX_DEPTH {
            return Err(Decline); // fastavro decides what to do with a value this deep
        }
        let node = &schema.nodes[id];
        let kind = self.kind(value);
        if let Node::Union(branches) = node {
            return self.write_union(schema, branches, value, kind, buf, depth);
        }
        match (node, kind) {
            (Node::Null, Kind::None) => {}
            (Node::Boolean, Kind::Bool) => {
                buf.push(u8::from(value.is_truthy().map_err(|_| Decline)?))
            }
            // ints within 32 bits only where fastavro's validator looks (inside unions)
            (Node::Int | Node::Date, Kind::Int) => {
                let n: i64 = value.extract().map_err(|_| Decline)?;
                if strict && i32::try_from(n).is_err() {
                    return Err(Decline);
                }
                write_long(buf, n);
            }
            (Node::Long | Node::TimestampMillis | Node::TimestampMicros, Kind::Int) => {
                write_long(buf, value.extract().map_err(|_| Decline)?);
            }
            (Node::Float, Kind::Int | Kind::Float) => {
                let n: f64 = value.extract().map_err(|_| Decline)?;
                buf.extend_from_slice(&(n as f32).to_le_bytes());
            }
            (Node::Double, Kind::Int | Kind::Float) => {
                let n: f64 = value.extract().map_err(|_| Decline)?;
                buf.extend_from_slice(&n.to_le_bytes());
            }
            (Node::Bytes, Kind::Bytes) => {
                let bytes = value.cast::<PyBytes>().map_err(|_| Decline)?.as_bytes();
                write_long(buf, bytes.len() as i64);
                buf.extend_from_slice(bytes);
            }
            (Node::Fixed(size), Kind::Bytes) => {
                let bytes = value.cast::<PyBytes>().map_err(|_| Decline)?.as_bytes();
                if bytes.len() != *size {
                    return Err(Decline);
                }
                buf.extend_from_slice(bytes);
            }
            (Node::String | Node::Uuid, Kind::Str) => write_str(buf, utf8(value)?),
            (Node::Uuid, Kind::Uuid) => {
                let text = value.str().map_err(|_| Decline)?;
                write_str(buf, text.to_str().map_err(|_| Decline)?);
            }
            (Node::Enum(e), Kind::Str) => {
                write_long(buf, *e.index.get(utf8(value)?).ok_or(Decline)? as i64);
            }
            (Node::TimestampMillis, Kind::DateTime) => {
                write_long(
                    buf,
                    i64::try_from(self.epoch_us(value)?.div_euclid(1000)).map_err(|_| Decline)?,
                );
            }
            (Node::TimestampMicros, Kind::DateTime) => {
                write_long(
                    buf,
                    i64::try_from(self.epoch_us(value)?).map_err(|_| Decline)?,
                );
            }
            (Node::Date, Kind::Date) => {
                let date = value.cast::<pyo3::types::PyDate>().map_err(|_| Decline)?;
                write_long(
                    buf,
                    days_from_civil(date.get_year(), date.get_month(), date.get_day()),
                );
            }
            (Node::Record(fields), Kind::Dict) => {
                let dict = value.cast::<PyDict>().map_err(|_| Decline)?;
                if strict && dict.contains("-type").map_err(|_| Decline)? {
                    return Err(Decline);
                }
                for field in fields {
                    let name = field.name.bind(value.py());
                    match dict.get_item(name).map_err(|_| Decline)? {
                        Some(item) => {
                            self.write(schema, field.node, &item, buf, strict, depth + 1)?
                        }
                        None => {
                            let default = field.default.as_ref().ok_or(Decline)?;
                            self.write(
                                schema,
                                field.node,
                                default.bind(value.py()),
                                buf,
                                strict,
                                depth + 1,
                            )?;
                        }
                    }
                }
            }
            (Node::Array(items), Kind::List) => {
                let list = value.cast::<PyList>().map_err(|_| Decline)?;
                if !list.is_empty() {
                    write_long(buf, list.len() as i64);
                    for item in list.iter() {
                        self.write(schema, *items, &item, buf, strict, depth + 1)?;
                    }
                }
                buf.push(0);
            }
            (Node::Map(values), Kind::Dict) => {
                let dict = value.cast::<PyDict>().map_err(|_| Decline)?;
                if !dict.is_empty() {
                    write_long(buf, dict.len() as i64);
                    for (key, item) in dict.iter() {
                        if !key.is_exact_instance_of::<PyString>() {
                            return Err(Decline);
                        }
                        write_str(buf, utf8(&key)?);
                        self.write(schema, *values, &item, buf, strict, depth + 1)?;
                    }
                }
                buf.push(0);
            }
            _ => return Err(Decline),
        }
        Ok(())
    }

    fn write_union(
        &self,
        schema: &Schema,
        branches: &[usize],
        value: &Bound<'_, PyAny>,
        kind: Kind,
        buf: &mut Vec<u8>,
        depth: usize,
    ) -> Written {
        if kind == Kind::Other {
            return Err(Decline);
        }
        let mut candidates = branches
            .iter()
            .enumerate()
            .filter(|(_, &b)| Self::could_validate(&schema.nodes[b], kind));
        let (index, &branch) = candidates.next().ok_or(Decline)?;
        // fastavro scores records against every candidate, and prefers a later double to a
        // float; the first candidate is its choice only when nothing else could compete.
        let competes = matches!(
            schema.nodes[branch],
            Node::Record(_) | Node::Float | Node::Union(_)
        );
        if competes && candidates.next().is_some() {
            return Err(Decline);
        }
        write_long(buf, index as i64);
        self.write(schema, branch, value, buf, true, depth)
    }

    /// Microseconds from the epoch to an aware datetime, as fastavro's `data - epoch` gives.
    fn epoch_us(&self, value: &Bound<'_, PyAny>) -> Result<i128, Decline> {
        let py = value.py();
        let datetime = value
            .cast::<pyo3::types::PyDateTime>()
            .map_err(|_| Decline)?;
        let tzinfo = datetime.get_tzinfo().ok_or(Decline)?; // naive: fastavro uses local time
        if tzinfo.is(self.utc.bind(py)) {
            let days = days_from_civil(
                datetime.get_year(),
                datetime.get_month(),
                datetime.get_day(),
            );
            let seconds = i64::from(datetime.get_hour()) * 3600
                + i64::from(datetime.get_minute()) * 60
                + i64::from(datetime.get_second());
            return Ok(
                (i128::from(days) * 86_400 + i128::from(seconds)) * 1_000_000
                    + i128::from(datetime.get_microsecond()),
            );
        }
        // Any other zone: let Python apply its utcoffset(), as fastavro's subtraction does.
        let delta = value.sub(self.epoch.bind(py)).map_err(|_| Decline)?;
        let delta = delta.cast::<PyDelta>().map_err(|_| Decline)?;
        Ok(
            (i128::from(delta.get_days()) * 86_400 + i128::from(delta.get_seconds())) * 1_000_000
                + i128::from(delta.get_microseconds()),
        )
    }
}
