//! Timestamps as Flink's CLI prints them (`dd.MM.yyyy HH:mm:ss`), in UTC.

/// Formats milliseconds since the Unix epoch as `dd.MM.yyyy HH:mm:ss` (UTC).
pub fn format_timestamp(epoch_ms: i64) -> String {
    let secs = epoch_ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{d:02}.{m:02}.{y:04} {:02}:{:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Year, month, day of the proleptic Gregorian calendar for a day count
/// since 1970-01-01 (Howard Hinnant's civil-from-days algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(format_timestamp(0), "01.01.1970 00:00:00");
        assert_eq!(format_timestamp(1_700_000_000_000), "14.11.2023 22:13:20");
        assert_eq!(format_timestamp(951_782_400_000), "29.02.2000 00:00:00");
        assert_eq!(format_timestamp(4_102_444_799_999), "31.12.2099 23:59:59");
        assert_eq!(format_timestamp(-1000), "31.12.1969 23:59:59");
    }
}
