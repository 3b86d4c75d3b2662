//! `streamops_avro`: a schema-compiled Avro codec for the stream hot path.
//!
//! It exists for speed alone: fastavro spends about 10 µs to read and re-write a 10-field
//! record, most of a stage's per-record budget. The results are fastavro's, exactly:
//! `decode` returns the objects `fastavro.schemaless_reader` returns, and `encode`
//! returns the bytes `fastavro.schemaless_writer` writes, or None where it cannot be
//! sure of that (the caller then asks fastavro). tests/unit/serde proves both on
//! generated schemas and values.

use pyo3::create_exception;
use pyo3::exceptions::{PyNotImplementedError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple, PyTzInfo};

mod calendar;
mod decode;
mod encode;
mod schema;
mod windows;

create_exception!(
    streamops_avro,
    CorruptAvro,
    PyValueError,
    "The bytes are not a valid encoding of a value of the schema."
);
create_exception!(
    streamops_avro,
    TrailingBytes,
    PyValueError,
    "A whole value was read, and bytes were left after it; args: (count,)."
);
create_exception!(
    streamops_avro,
    UnsupportedSchema,
    PyNotImplementedError,
    "The schema uses something this codec does not reproduce (decimal, time-*, local-timestamp-*)."
);

/// One compiled schema: `decode` and `encode` values of it.
#[pyclass(frozen, module = "streamops_avro")]
pub struct Codec {
    schema: schema::Schema,
    utc: Py<PyAny>,
    epoch: Py<PyAny>,
    datetime_type: Py<PyAny>,
    date_type: Py<PyAny>,
    uuid_type: Py<PyAny>,
}

#[pymethods]
impl Codec {
    /// Compiles `schema` as returned by `fastavro.parse_schema`; raises UnsupportedSchema
    /// for anything it cannot compile, so that the caller keeps fastavro for it.
    #[new]
    fn new(schema: &Bound<'_, PyAny>) -> PyResult<Self> {
        let py = schema.py();
        let compiled = schema::compile(schema).map_err(|e| {
            if e.is_instance_of::<UnsupportedSchema>(py) {
                e
            } else {
                UnsupportedSchema::new_err(format!("a schema it cannot compile ({e})"))
            }
        })?;
        let datetime = py.import("datetime")?;
        let utc = PyTzInfo::utc(py)?.to_owned().into_any();
        Ok(Codec {
            schema: compiled,
            epoch: datetime
                .getattr("datetime")?
                .call1((1970, 1, 1, 0, 0, 0, 0, &utc))?
                .unbind(),
            utc: utc.unbind(),
            datetime_type: datetime.getattr("datetime")?.unbind(),
            date_type: datetime.getattr("date")?.unbind(),
            uuid_type: py.import("uuid")?.getattr("UUID")?.unbind(),
        })
    }

    /// The value encoded in `data[offset:]`; raises CorruptAvro, or TrailingBytes if the
    /// value ends before the data does.
    #[pyo3(signature = (data, offset = 0))]
    fn decode<'py>(
        &self,
        data: &Bound<'py, PyBytes>,
        offset: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let bytes = data.as_bytes();
        if offset > bytes.len() {
            return Err(CorruptAvro::new_err(format!(
                "offset {offset} is past the {} bytes",
                bytes.len()
            )));
        }
        let mut reader = decode::Reader {
            data: bytes,
            pos: offset,
            empty_items_left: decode::MAX_EMPTY_ITEMS,
        };
        let value = self.read(data.py(), &self.schema, self.schema.root, &mut reader, 0)?;
        if reader.pos != bytes.len() {
            return Err(TrailingBytes::new_err(bytes.len() - reader.pos));
        }
        Ok(value)
    }

    /// `prefix` followed by the encoding of `value`, or None where only fastavro can say
    /// what it writes (or what error it raises) for this value.
    #[pyo3(signature = (value, prefix = None))]
    fn encode<'py>(
        &self,
        value: &Bound<'py, PyAny>,
        prefix: Option<&Bound<'py, PyBytes>>,
    ) -> Option<Bound<'py, PyBytes>> {
        let mut buf = Vec::with_capacity(128);
        if let Some(prefix) = prefix {
            buf.extend_from_slice(prefix.as_bytes());
        }
        self.write(&self.schema, self.schema.root, value, &mut buf, false, 0)
            .ok()?;
        Some(PyBytes::new(value.py(), &buf))
    }

    /// `prefix` followed by the encoding of a record schema's value given as its fields'
    /// values in the schema's order (a tuple or a list): what `encode` writes for the dict
    /// of those fields, without building it. None where `encode` would decline, or where
    /// the schema is not a record or the count of values is not its count of fields.
    #[pyo3(signature = (values, prefix = None))]
    fn encode_fields<'py>(
        &self,
        values: &Bound<'py, PyAny>,
        prefix: Option<&Bound<'py, PyBytes>>,
    ) -> Option<Bound<'py, PyBytes>> {
        let schema::Node::Record(fields) = &self.schema.nodes[self.schema.root] else {
            return None;
        };
        let mut buf = Vec::with_capacity(256);
        if let Some(prefix) = prefix {
            buf.extend_from_slice(prefix.as_bytes());
        }
        let items: Vec<Bound<'py, PyAny>> = if let Ok(tuple) = values.cast_exact::<PyTuple>() {
            tuple.iter().collect()
        } else {
            values.cast_exact::<PyList>().ok()?.iter().collect()
        };
        if items.len() != fields.len() {
            return None;
        }
        for (field, item) in fields.iter().zip(&items) {
            self.write(&self.schema, field.node, item, &mut buf, false, 1)
                .ok()?;
        }
        Some(PyBytes::new(values.py(), &buf))
    }
}

#[pymodule]
fn streamops_avro(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Codec>()?;
    m.add_class::<windows::WindowKernel>()?;
    m.add("CorruptAvro", py.get_type::<CorruptAvro>())?;
    m.add("TrailingBytes", py.get_type::<TrailingBytes>())?;
    m.add("UnsupportedSchema", py.get_type::<UnsupportedSchema>())?;
    Ok(())
}
