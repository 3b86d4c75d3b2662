//! The features' window computation for an ordinary event, natively: what
//! `streamops.features.compute.WindowComputer.compute` returns, to the bit.
//!
//! `WindowKernel.compute` takes an entity's rows (`[times, column, ...]`, Python lists)
//! and one event, and returns the event's feature vector and whether it is late, adding
//! the event to the rows as the Python method does. It *declines* (returns None, having
//! changed nothing) wherever it could not be sure of giving the same objects: a window of
//! more than `long` rows (exact integer moments, running aggregates), a number that is
//! not a finite float, a distinct value that is not a str, a sum that overflows. The
//! caller then runs the Python method, so declining changes only the speed.
//!
//! The statistics are defined in `streamops.features.stats.numeric_stats`: an exactly
//! rounded sum (`fsum`, ported from CPython's `math.fsum`), the mean as that sum over the
//! count, the population standard deviation as the square root of the exactly rounded sum
//! of squared deviations over the count, and min and max keeping the first of equal values
//! as Python's `min` and `max` do.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyFloat, PyInt, PyList, PyTuple};

const HOUR_MS: i64 = 3_600_000;
/// The longest window, grace or horizon (ms), and the furthest event time or watermark from
/// the epoch the kernel takes: their sums and differences cannot overflow. (Python's ints
/// cannot overflow at all: it computes anything beyond.)
const LONGEST_MS: i64 = 1 << 50;
const TIMES_MS: i64 = 1 << 60;
/// `stats._HUGE`: a spread above it has its deviations scaled before they are squared.
const HUGE: f64 = f64::from_bits((1023 + 500) << 52); // 2^500
const DAY_MS: i64 = 86_400_000;

/// A per-event value of `WindowComputer` (UTC only: a zone's hours stay in Python).
#[derive(Clone, Copy)]
enum EventValue {
    SecondsSincePrevious,
    HourOfDay,
    DayOfWeek,
}

/// The kernel declines this event: the caller computes it in Python.
struct Decline;

/// A value of the flat list, before it becomes a Python object.
#[derive(Clone, Copy)]
enum Flat {
    Int(i64),
    Float(f64),
    Null,
}

/// One `WindowComputer`'s layout: its windows, columns, per-event values and output order.
#[pyclass(frozen, module = "streamops_avro")]
pub struct WindowKernel {
    windows: Vec<i64>,
    grace: i64,
    horizon: i64,
    numeric: Vec<usize>,
    distinct: Vec<usize>,
    events: Vec<EventValue>,
    order: Vec<usize>,
    long: usize,
    /// the highest column the statistics read
    used: usize,
}

/// The exactly rounded sum of finite values, as CPython's `math.fsum` computes it
/// (Shewchuk's partials, then the half-even fix-up across partials); None on an
/// intermediate overflow, where `fsum` raises.
fn fsum(values: &[f64]) -> Option<f64> {
    let mut partials: Vec<f64> = Vec::with_capacity(8);
    for &value in values {
        let mut x = value;
        let mut i = 0;
        for j in 0..partials.len() {
            let mut y = partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let yr = hi - x;
            let lo = y - yr;
            if lo != 0.0 {
                partials[i] = lo;
                i += 1;
            }
            x = hi;
        }
        partials.truncate(i);
        if x != 0.0 {
            if !x.is_finite() {
                return None; // the values are finite: an intermediate overflow
            }
            partials.push(x);
        }
    }
    let mut n = partials.len();
    let mut hi = 0.0;
    if n > 0 {
        n -= 1;
        hi = partials[n];
        let mut lo = 0.0;
        while n > 0 {
            let x = hi;
            n -= 1;
            let y = partials[n];
            hi = x + y;
            let yr = hi - x;
            lo = y - yr;
            if lo != 0.0 {
                break;
            }
        }
        if n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0)) {
            let y = lo * 2.0;
            let x = hi + y;
            let yr = x - hi;
            if y == yr {
                hi = x;
            }
        }
    }
    Some(hi)
}

/// FNV-1a: the distinct values are short ids, which SipHash would take longer over.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A finite float, None for a null; anything else declines.
fn number(item: *mut ffi::PyObject) -> Result<Option<f64>, Decline> {
    // SAFETY: a live object (an item of a list we hold, or an argument), under the GIL
    unsafe {
        if item == ffi::Py_None() {
            return Ok(None);
        }
        if ffi::PyFloat_CheckExact(item) == 0 {
            return Err(Decline);
        }
        let value = ffi::PyFloat_AS_DOUBLE(item);
        if value.is_finite() {
            Ok(Some(value))
        } else {
            Err(Decline)
        }
    }
}

/// A list of the rows, read without taking references: every item stays alive while the
/// list holds it, and the kernel changes the rows only after it is done reading them.
struct Column<'a, 'py>(&'a Bound<'py, PyList>, usize);

impl<'a> Column<'a, '_> {
    fn item(&self, i: usize) -> *mut ffi::PyObject {
        assert!(i < self.1);
        // SAFETY: in bounds (the length was read once, the list does not change meanwhile)
        unsafe { ffi::PyList_GET_ITEM(self.0.as_ptr(), i as ffi::Py_ssize_t) }
    }

    fn time(&self, i: usize) -> Result<i64, Decline> {
        let item = self.item(i);
        // SAFETY: a live object under the GIL; an error is cleared, not left set
        unsafe {
            if ffi::PyLong_CheckExact(item) == 0 {
                return Err(Decline);
            }
            let value = ffi::PyLong_AsLongLong(item);
            if value == -1 && !ffi::PyErr_Occurred().is_null() {
                ffi::PyErr_Clear();
                return Err(Decline);
            }
            Ok(value)
        }
    }

    /// The UTF-8 of a str item, None for a null; anything else declines.
    fn text(&self, i: usize) -> Result<Option<&'a str>, Decline> {
        text(self.item(i))
    }
}

fn text<'a>(item: *mut ffi::PyObject) -> Result<Option<&'a str>, Decline> {
    // SAFETY: a live object under the GIL, which owns the UTF-8 it hands out for as long as
    // it lives (the list or the caller's arguments keep it); an error is cleared
    unsafe {
        if item == ffi::Py_None() {
            return Ok(None);
        }
        if ffi::PyUnicode_CheckExact(item) == 0 {
            return Err(Decline);
        }
        let mut size: ffi::Py_ssize_t = 0;
        let data = ffi::PyUnicode_AsUTF8AndSize(item, &mut size);
        if data.is_null() {
            ffi::PyErr_Clear(); // lone surrogates: Python's set() would still count them
            return Err(Decline);
        }
        let bytes = std::slice::from_raw_parts(data.cast::<u8>(), size as usize);
        Ok(Some(std::str::from_utf8_unchecked(bytes)))
    }
}

/// Python's `max(a, b)`: the first unless the second is greater.
fn max(a: f64, b: f64) -> f64 {
    if b > a {
        b
    } else {
        a
    }
}

/// `stats.two_pass_std`: sqrt(fsum of squared deviations / n), the deviations scaled by a
/// power of two first where ``spread`` (the largest) passes 2^500.
fn two_pass_std(window: &[f64], mean: f64, spread: f64) -> Result<f64, Decline> {
    let n = window.len() as f64;
    if spread <= HUGE {
        let squares: Vec<f64> = window.iter().map(|v| (v - mean) * (v - mean)).collect();
        return Ok((fsum(&squares).ok_or(Decline)? / n).sqrt());
    }
    if spread.is_infinite() {
        return Ok(f64::INFINITY);
    }
    if spread.is_nan() {
        return Err(Decline); // finite values cannot give it; Python's to say
    }
    // frexp(spread)[1] for a normal double (it is above 2^500), and 2^-e exactly
    let e = ((spread.to_bits() >> 52) & 0x7ff) as i64 - 1022;
    let scale = if e <= 1022 {
        f64::from_bits(((1023 - e) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (52 + 1022 - e)) // 2^-1023, 2^-1024: subnormal, still exact
    };
    let squares: Vec<f64> = window
        .iter()
        .map(|v| {
            let d = (v - mean) * scale;
            d * d
        })
        .collect();
    Ok((fsum(&squares).ok_or(Decline)? / n).sqrt() / scale)
}

/// `numeric_stats(window, value)`: (sum, mean, std, min, max, value over mean).
fn numeric_stats(window: &[f64], value: Option<f64>, out: &mut Vec<Flat>) -> Result<(), Decline> {
    let ratio = |mean: f64| match value {
        Some(v) if mean != 0.0 => Flat::Float(v / mean),
        _ => Flat::Null,
    };
    match window.len() {
        0 => out.extend([
            Flat::Float(0.0),
            Flat::Null,
            Flat::Null,
            Flat::Null,
            Flat::Null,
            Flat::Null,
        ]),
        1 => {
            let only = window[0];
            out.extend([
                Flat::Float(only),
                Flat::Float(only),
                Flat::Float(0.0),
                Flat::Float(only),
                Flat::Float(only),
                ratio(only),
            ]);
        }
        n => {
            let total = fsum(window).ok_or(Decline)?;
            let mean = total / n as f64;
            let (mut low, mut high) = (window[0], window[0]);
            for &v in &window[1..] {
                if v < low {
                    low = v;
                }
                if v > high {
                    high = v;
                }
            }
            let std = two_pass_std(window, mean, max(high - mean, mean - low))?;
            out.extend([
                Flat::Float(total),
                Flat::Float(mean),
                Flat::Float(std),
                Flat::Float(low),
                Flat::Float(high),
                ratio(mean),
            ]);
        }
    }
    Ok(())
}

impl WindowKernel {
    /// The flat list `WindowComputer.compute` builds, and the row the event goes to.
    /// ``columns``: the rows' lists, the times first.
    fn flat(
        &self,
        columns: &[Column<'_, '_>],
        time_ms: i64,
        values: &[Bound<'_, PyAny>],
        watermark: Option<i64>,
    ) -> Result<(Vec<Flat>, usize), Decline> {
        let times = &columns[0];
        // bisect_right: the first row later than the bound, among rows[lo, hi)
        let bisect = |bound: i64, mut lo: usize, mut hi: usize| -> Result<usize, Decline> {
            while lo < hi {
                let mid = (lo + hi) / 2;
                if bound < times.time(mid)? {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            Ok(lo)
        };
        let pos = bisect(time_ms, 0, times.1)?;
        let floor = watermark.map(|w| w - self.horizon);
        let mut flat = Vec::with_capacity(self.order.len() + 8);
        let mut previous: Option<(usize, usize)> = None; // (start, where its stats begin)
        for &w in &self.windows {
            let mut start = time_ms - w;
            if let Some(f) = floor {
                if f > start {
                    start = f;
                }
            }
            let start = bisect(start, 0, pos)?;
            let count = pos + 1 - start;
            if count > self.long {
                return Err(Decline); // exact moments or running aggregates: Python's
            }
            flat.push(Flat::Int(count as i64));
            if let Some((same, at)) = previous {
                if same == start {
                    let stats = 6 * self.numeric.len() + self.distinct.len();
                    flat.extend_from_within(at..at + stats);
                    continue;
                }
            }
            previous = Some((start, flat.len()));
            self.window(columns, start, pos, Some(values), values, &mut flat)?;
        }
        for event in &self.events {
            flat.push(match event {
                EventValue::SecondsSincePrevious => {
                    if pos == 0 {
                        Flat::Null
                    } else {
                        let before = times.time(pos - 1)?;
                        if floor.is_some_and(|f| before <= f) {
                            Flat::Null
                        } else {
                            let gap = time_ms.checked_sub(before).ok_or(Decline)?;
                            Flat::Float(gap as f64 / 1000.0)
                        }
                    }
                }
                EventValue::HourOfDay => Flat::Int(time_ms.div_euclid(HOUR_MS).rem_euclid(24)),
                EventValue::DayOfWeek => Flat::Int((time_ms.div_euclid(DAY_MS) + 3).rem_euclid(7)),
            });
        }
        Ok((flat, pos))
    }
}

impl WindowKernel {
    /// The statistics of rows ``[start, stop)`` and, with ``event``, the event's values
    /// too: per numeric column the six of `numeric_stats` (``values`` gives the ratio's
    /// numerator), then per distinct column the count of values.
    fn window(
        &self,
        columns: &[Column<'_, '_>],
        start: usize,
        stop: usize,
        event: Option<&[Bound<'_, PyAny>]>,
        values: &[Bound<'_, PyAny>],
        out: &mut Vec<Flat>,
    ) -> Result<(), Decline> {
        for &c in &self.numeric {
            let col = &columns[c];
            let mut window = Vec::with_capacity(stop - start + 1);
            for i in start..stop {
                if let Some(v) = number(col.item(i))? {
                    window.push(v);
                }
            }
            if let Some(event) = event {
                if let Some(v) = number(event[c - 1].as_ptr())? {
                    window.push(v);
                }
            }
            numeric_stats(&window, number(values[c - 1].as_ptr())?, out)?;
        }
        for &c in &self.distinct {
            let col = &columns[c];
            let mut seen: HashSet<&str, BuildHasherDefault<Fnv>> =
                HashSet::with_capacity_and_hasher(stop - start + 1, Default::default());
            for i in start..stop {
                if let Some(t) = col.text(i)? {
                    seen.insert(t);
                }
            }
            if let Some(event) = event {
                if let Some(t) = text(event[c - 1].as_ptr())? {
                    seen.insert(t);
                }
            }
            out.push(Flat::Int(seen.len() as i64));
        }
        Ok(())
    }
}

/// The rows' lists, and their common length; None for anything else.
fn row_lists<'py>(rows: &Bound<'py, PyList>) -> Option<(Vec<Bound<'py, PyList>>, usize)> {
    let lists = rows
        .iter()
        .map(|c| c.cast_into_exact::<PyList>())
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    let length = lists.first()?.len();
    lists
        .iter()
        .all(|c| c.len() == length)
        .then_some((lists, length))
}

/// Python objects of flat values.
fn objects<'py>(py: Python<'py>, flat: &[Flat]) -> Vec<Bound<'py, PyAny>> {
    flat.iter()
        .map(|v| match *v {
            Flat::Int(n) => PyInt::new(py, n).into_any(),
            Flat::Float(x) => PyFloat::new(py, x).into_any(),
            Flat::Null => py.None().into_bound(py),
        })
        .collect()
}

/// The items of a tuple or a list; anything else declines.
fn items<'py>(sequence: &Bound<'py, PyAny>) -> Result<Vec<Bound<'py, PyAny>>, Decline> {
    if let Ok(tuple) = sequence.cast_exact::<PyTuple>() {
        Ok(tuple.iter().collect())
    } else if let Ok(list) = sequence.cast_exact::<PyList>() {
        Ok(list.iter().collect())
    } else {
        Err(Decline)
    }
}

#[pymethods]
impl WindowKernel {
    /// The layout of a `WindowComputer`: window lengths, grace and horizon (ms), the rows'
    /// numeric and distinct columns, the per-event values by name, the output order (indexes
    /// into the flat list) and the longest window it computes (`stats.LONG`).
    #[new]
    #[allow(clippy::too_many_arguments)]
    fn new(
        windows: Vec<i64>,
        grace: i64,
        horizon: i64,
        numeric: Vec<usize>,
        distinct: Vec<usize>,
        events: Vec<String>,
        order: Vec<usize>,
        long: usize,
    ) -> PyResult<Self> {
        let events = events
            .iter()
            .map(|name| match name.as_str() {
                "seconds_since_previous" => Ok(EventValue::SecondsSincePrevious),
                "hour_of_day" => Ok(EventValue::HourOfDay),
                "day_of_week" => Ok(EventValue::DayOfWeek),
                other => Err(PyValueError::new_err(format!(
                    "no per-event value {other:?}"
                ))),
            })
            .collect::<PyResult<_>>()?;
        if numeric.iter().chain(&distinct).any(|&c| c == 0) {
            return Err(PyValueError::new_err(
                "columns are counted from 1 (0 is the times)",
            ));
        }
        if windows
            .iter()
            .chain([&grace, &horizon])
            .any(|&ms| !(0..=LONGEST_MS).contains(&ms))
        {
            return Err(PyValueError::new_err(
                "windows, grace and horizon are between 0 and 2^50 ms",
            ));
        }
        let used = numeric.iter().chain(&distinct).copied().max().unwrap_or(0);
        Ok(WindowKernel {
            windows,
            grace,
            horizon,
            numeric,
            distinct,
            events,
            order,
            long,
            used,
        })
    }

    /// `WindowComputer.compute(rows, time_ms, values, watermark_ms, add, None, passthrough)`
    /// for an event whose windows hold at most `long` rows: (vector, late), the event added
    /// to ``rows`` if ``add`` and on time; or None, ``rows`` untouched: ask Python.
    #[pyo3(signature = (rows, time_ms, values, watermark_ms, add = true, passthrough = None))]
    fn compute<'py>(
        &self,
        rows: &Bound<'py, PyList>,
        time_ms: i64,
        values: &Bound<'py, PyAny>,
        watermark_ms: Option<i64>,
        add: bool,
        passthrough: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<(Bound<'py, PyList>, bool)>> {
        let py = rows.py();
        let Ok(values) = items(values) else {
            return Ok(None);
        };
        let passthrough = match passthrough {
            None => Vec::new(),
            Some(p) => match items(p) {
                Ok(p) => p,
                Err(Decline) => return Ok(None),
            },
        };
        let sane = |ms: i64| (-TIMES_MS..=TIMES_MS).contains(&ms);
        if rows.len() != values.len() + 1
            || values.len() < self.used
            || !sane(time_ms)
            || !watermark_ms.is_none_or(sane)
        {
            return Ok(None); // not an entity's rows, or a time the arithmetic cannot take
        }
        let Some((lists, length)) = row_lists(rows) else {
            return Ok(None);
        };
        let columns: Vec<Column<'_, '_>> = lists.iter().map(|c| Column(c, length)).collect();
        let late = watermark_ms.is_some_and(|w| time_ms < w - self.grace);
        let Ok((flat, pos)) = self.flat(&columns, time_ms, &values, watermark_ms) else {
            return Ok(None);
        };
        drop(columns); // done reading: the rows may change now
        let mut objects = objects(py, &flat);
        objects.extend(passthrough);
        let Some(vector) = self
            .order
            .iter()
            .map(|&i| objects.get(i).cloned())
            .collect::<Option<Vec<_>>>()
        else {
            return Ok(None); // an order that does not fit the flat list
        };
        if add && !late {
            let at_end = pos == length;
            let added = std::iter::once(PyInt::new(py, time_ms).into_any()).chain(values);
            for (column, value) in lists.iter().zip(added) {
                if at_end {
                    column.append(value)?;
                } else {
                    column.insert(pos, value)?;
                }
            }
        }
        Ok(Some((PyList::new(py, vector)?, late)))
    }

    /// `WindowComputer`'s statistics of rows ``[start, stop)`` (the event among them),
    /// ``values`` the event's: a list, or None where it declines (more than `long` rows).
    fn stats<'py>(
        &self,
        rows: &Bound<'py, PyList>,
        start: usize,
        stop: usize,
        values: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyList>>> {
        let py = rows.py();
        let Ok(values) = items(values) else {
            return Ok(None);
        };
        let Some((lists, length)) = row_lists(rows) else {
            return Ok(None);
        };
        if start >= stop
            || stop > length
            || stop - start > self.long
            || values.len() < self.used
            || lists.len() <= self.used
        {
            return Ok(None);
        }
        let columns: Vec<Column<'_, '_>> = lists.iter().map(|c| Column(c, length)).collect();
        let mut flat = Vec::with_capacity(6 * self.numeric.len() + self.distinct.len());
        if self
            .window(&columns, start, stop, None, &values, &mut flat)
            .is_err()
        {
            return Ok(None);
        }
        Ok(Some(PyList::new(py, objects(py, &flat))?))
    }
}
