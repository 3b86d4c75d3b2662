//! Avro binary → Python objects, the same objects fastavro's `schemaless_reader` returns.
//!
//! Every malformed input is an error (`CorruptAvro`), never a panic and never a guess:
//! truncation, over-long varints, bad UTF-8, out-of-range union and enum indexes
//! (fastavro would index its lists from the end for negative ones), negative lengths,
//! dates outside years 1-9999, block counts that the remaining bytes cannot hold, more
//! zero-byte items than MAX_EMPTY_ITEMS, and nesting deeper than MAX_DEPTH.

use std::ffi::c_char;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDate, PyDateTime, PyDict, PyFloat, PyList, PyString};

use crate::calendar::{civil_from_days, DAY_US};
use crate::schema::{Node, Schema};
use crate::{Codec, CorruptAvro};

/// Records, arrays and maps nested deeper than this (only possible with recursive
/// schemas) are refused rather than read at the risk of the thread's stack.
pub const MAX_DEPTH: usize = 1000;
/// Items that encode to zero bytes (in arrays of null, of empty records) one value may
/// hold, over all its blocks: a forged count must not make us build an endless list, as
/// fastavro does.
pub const MAX_EMPTY_ITEMS: u64 = 1 << 20;

pub struct Reader<'a> {
    pub data: &'a [u8],
    pub pos: usize,
    /// Zero-byte items still allowed (starts at MAX_EMPTY_ITEMS).
    pub empty_items_left: u64,
}

fn corrupt(message: impl Into<String>) -> PyErr {
    CorruptAvro::new_err(message.into())
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> PyResult<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.data.len())
            .ok_or_else(|| {
                corrupt(format!(
                    "unexpected end of data: {n} bytes needed at offset {}, {} left",
                    self.pos,
                    self.data.len() - self.pos
                ))
            })?;
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn long(&mut self) -> PyResult<i64> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = *self.data.get(self.pos).ok_or_else(|| {
                corrupt(format!(
                    "unexpected end of data in a number at offset {}",
                    self.pos
                ))
            })?;
            self.pos += 1;
            value |= u64::from(byte & 0x7F) << shift;
            if byte & 0x80 == 0 {
                if shift == 63 && byte > 1 {
                    break;
                }
                return Ok(((value >> 1) as i64) ^ -((value & 1) as i64));
            }
        }
        Err(corrupt(format!(
            "a number longer than 64 bits ending at offset {}",
            self.pos
        )))
    }

    fn length(&mut self, what: &str) -> PyResult<usize> {
        let n = self.long()?;
        usize::try_from(n).map_err(|_| corrupt(format!("negative {what} length {n}")))
    }

    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }
}

impl Codec {
    pub fn read<'py>(
        &self,
        py: Python<'py>,
        schema: &Schema,
        id: usize,
        reader: &mut Reader<'_>,
        depth: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        Ok(match &schema.nodes[id] {
            Node::Null | Node::Pending => py.None().into_bound(py),
            Node::Boolean => PyBool::new(py, reader.take(1)?[0] != 0)
                .to_owned()
                .into_any(),
            Node::Int | Node::Long => reader.long()?.into_pyobject(py)?.into_any(),
            Node::Float => {
                let bytes: [u8; 4] = reader.take(4)?.try_into().expect("4 bytes");
                PyFloat::new(py, f64::from(f32::from_le_bytes(bytes))).into_any()
            }
            Node::Double => {
                let bytes: [u8; 8] = reader.take(8)?.try_into().expect("8 bytes");
                PyFloat::new(py, f64::from_le_bytes(bytes)).into_any()
            }
            Node::Bytes => {
                let n = reader.length("bytes")?;
                PyBytes::new(py, reader.take(n)?).into_any()
            }
            Node::String => read_string(py, reader)?.into_any(),
            Node::TimestampMillis => {
                let ms = reader.long()?;
                self.timestamp(py, i128::from(ms) * 1000)?
            }
            Node::TimestampMicros => self.timestamp(py, i128::from(reader.long()?))?,
            Node::Date => {
                let days = reader.long()?;
                let (year, month, day) = civil_from_days(i128::from(days)).ok_or_else(|| {
                    corrupt(format!(
                        "date {days} days from 1970 is outside years 1-9999"
                    ))
                })?;
                PyDate::new(py, year, month, day)?.into_any()
            }
            Node::Uuid => {
                let text = read_string(py, reader)?;
                self.uuid_type
                    .bind(py)
                    .call1((text,))
                    .map_err(|e| corrupt(format!("not a UUID: {e}")))?
            }
            Node::Record(fields) => {
                check_depth(depth)?;
                let dict = PyDict::new(py);
                for field in fields {
                    let value = self.read(py, schema, field.node, reader, depth + 1)?;
                    dict.set_item(field.name.bind(py), value)?;
                }
                dict.into_any()
            }
            Node::Enum(e) => {
                let index = reader.long()?;
                let symbol = usize::try_from(index)
                    .ok()
                    .and_then(|i| e.symbols.get(i))
                    .ok_or_else(|| {
                        corrupt(format!(
                            "enum index {index} outside its {} symbols",
                            e.symbols.len()
                        ))
                    })?;
                symbol.bind(py).clone().into_any()
            }
            Node::Array(items) => {
                check_depth(depth)?;
                let list = PyList::empty(py);
                self.blocks(reader, schema.min_size[*items], |reader| {
                    list.append(self.read(py, schema, *items, reader, depth + 1)?)
                })?;
                list.into_any()
            }
            Node::Map(values) => {
                check_depth(depth)?;
                let dict = PyDict::new(py);
                // a key is at least its length byte
                self.blocks(reader, 1 + schema.min_size[*values], |reader| {
                    let key = read_string(py, reader)?;
                    dict.set_item(key, self.read(py, schema, *values, reader, depth + 1)?)
                })?;
                dict.into_any()
            }
            Node::Union(branches) => {
                let index = reader.long()?;
                let branch = usize::try_from(index)
                    .ok()
                    .and_then(|i| branches.get(i))
                    .ok_or_else(|| {
                        corrupt(format!(
                            "union index {index} outside its {} branches",
                            branches.len()
                        ))
                    })?;
                self.read(py, schema, *branch, reader, depth)?
            }
            Node::Fixed(size) => PyBytes::new(py, reader.take(*size)?).into_any(),
        })
    }

    /// Array and map blocks: a count (negative: followed by the block's byte size), 0 ends.
    fn blocks(
        &self,
        reader: &mut Reader<'_>,
        item_min_size: usize,
        mut item: impl FnMut(&mut Reader<'_>) -> PyResult<()>,
    ) -> PyResult<()> {
        loop {
            let mut count = reader.long()?;
            if count == 0 {
                return Ok(());
            }
            if count < 0 {
                count = count
                    .checked_neg()
                    .ok_or_else(|| corrupt("block count out of range"))?;
                reader.long()?; // the block's size in bytes, not needed to read it
            }
            let count = count as u64;
            if item_min_size == 0 {
                reader.empty_items_left = reader.empty_items_left.checked_sub(count).ok_or_else(|| {
                    corrupt(format!(
                        "more than {MAX_EMPTY_ITEMS} zero-byte items in one value (a block claims {count})"
                    ))
                })?;
            }
            if count.saturating_mul(item_min_size as u64) > reader.remaining() as u64 {
                return Err(corrupt(format!(
                    "a block of {count} items cannot fit in the {} bytes left",
                    reader.remaining()
                )));
            }
            for _ in 0..count {
                item(reader)?;
            }
        }
    }

    /// `epoch + timedelta(microseconds=us)` with `tzinfo=timezone.utc`, as fastavro reads it.
    fn timestamp<'py>(&self, py: Python<'py>, us: i128) -> PyResult<Bound<'py, PyAny>> {
        let days = us.div_euclid(DAY_US);
        let (year, month, day) = civil_from_days(days).ok_or_else(|| {
            corrupt(format!(
                "timestamp {us} us from 1970 is outside years 1-9999"
            ))
        })?;
        let of_day = us.rem_euclid(DAY_US) as u64;
        let seconds = of_day / 1_000_000;
        Ok(PyDateTime::new(
            py,
            year,
            month,
            day,
            (seconds / 3600) as u8,
            (seconds / 60 % 60) as u8,
            (seconds % 60) as u8,
            (of_day % 1_000_000) as u32,
            Some(self.utc.bind(py).cast()?),
        )?
        .into_any())
    }
}

fn check_depth(depth: usize) -> PyResult<()> {
    if depth >= MAX_DEPTH {
        return Err(corrupt(format!(
            "records, arrays and maps nested deeper than {MAX_DEPTH} levels"
        )));
    }
    Ok(())
}

fn read_string<'py>(py: Python<'py>, reader: &mut Reader<'_>) -> PyResult<Bound<'py, PyString>> {
    let n = reader.length("string")?;
    let bytes = reader.take(n)?;
    // Python's own strict UTF-8 decoder: exactly what fastavro accepts and refuses.
    let decoded = unsafe {
        let ptr = ffi::PyUnicode_DecodeUTF8(
            bytes.as_ptr() as *const c_char,
            n as ffi::Py_ssize_t,
            std::ptr::null(),
        );
        Bound::from_owned_ptr_or_err(py, ptr)
    };
    decoded
        .map_err(|e| corrupt(format!("a string that is not UTF-8: {e}")))?
        .cast_into::<PyString>()
        .map_err(PyErr::from)
}
