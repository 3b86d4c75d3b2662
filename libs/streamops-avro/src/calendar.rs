//! Proleptic Gregorian days ↔ civil dates (H. Hinnant's algorithms), limited to the years
//! Python's `datetime` can hold. tests/unit/serde/test_native_codec.py checks them against
//! Python's own calendar, day by day.

pub const DAY_US: i128 = 86_400_000_000;

/// (year, month, day) of `days` after 1970-01-01, or None outside years 1-9999.
pub fn civil_from_days(days: i128) -> Option<(i32, u8, u8)> {
    // 1-01-01 is 719,162 days before the epoch, 9999-12-31 is 2,932,896 days after it.
    if !(-719_162..=2_932_896).contains(&days) {
        return None;
    }
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Some((year as i32, month, day))
}

/// Days from 1970-01-01 to the civil date (any year `datetime` can hold).
pub fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
