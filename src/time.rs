//! Timestamps of the log (`06/Feb/2019:00:00:38 +0000`) and the calendar arithmetic
//! that weeks need: days since 1970-01-01, Monday-start weeks, ISO dates.

/// Seconds since 1970-01-01T00:00:00Z.
pub type UnixSeconds = i64;

/// Days since 1970-01-01 (UTC).
pub type Day = i64;

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Days from the civil date to 1970-01-01 (proleptic Gregorian), the well-known
/// era-based formula; valid for every year the log can hold.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> Day {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day number.
pub fn civil_from_days(z: Day) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The day of a timestamp (UTC).
pub fn day_of(t: UnixSeconds) -> Day {
    t.div_euclid(86_400)
}

/// The Monday (UTC) that starts the week holding `day`. 1970-01-01 was a Thursday.
pub fn week_start(day: Day) -> Day {
    day - (day + 3).rem_euclid(7)
}

/// `v` in `width` digits, zero-padded (`v` < 10^width).
fn push_digits(out: &mut Vec<u8>, v: u32, width: u32) {
    for k in (0..width).rev() {
        out.push(b'0' + (v / 10u32.pow(k) % 10) as u8);
    }
}

/// Appends `YYYY-MM-DD` of a day number (the row exports write one per row, so without
/// an allocation).
pub fn push_iso_date(out: &mut Vec<u8>, day: Day) {
    let (y, m, d) = civil_from_days(day);
    match u32::try_from(y) {
        Ok(y @ 0..=9999) => push_digits(out, y, 4),
        _ => out.extend_from_slice(format!("{y:04}").as_bytes()),
    }
    out.push(b'-');
    push_digits(out, m, 2);
    out.push(b'-');
    push_digits(out, d, 2);
}

/// Appends `YYYY-MM-DDTHH:MM:SSZ` of a timestamp.
pub fn push_rfc3339(out: &mut Vec<u8>, t: UnixSeconds) {
    push_iso_date(out, day_of(t));
    let secs = t.rem_euclid(86_400) as u32;
    out.push(b'T');
    push_digits(out, secs / 3600, 2);
    out.push(b':');
    push_digits(out, secs / 60 % 60, 2);
    out.push(b':');
    push_digits(out, secs % 60, 2);
    out.push(b'Z');
}

/// `YYYY-MM-DD` of a day number.
pub fn iso_date(day: Day) -> String {
    let mut out = Vec::with_capacity(10);
    push_iso_date(&mut out, day);
    String::from_utf8(out).expect("ASCII")
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a timestamp.
pub fn rfc3339(t: UnixSeconds) -> String {
    let mut out = Vec::with_capacity(20);
    push_rfc3339(&mut out, t);
    String::from_utf8(out).expect("ASCII")
}

/// Parses `YYYY-MM-DD` into a day number.
pub fn parse_iso_date(s: &str) -> Option<Day> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = digits(&b[0..4])? as i64;
    let m = digits(&b[5..7])?;
    let d = digits(&b[8..10])?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

/// The years a log time may have: S3 began in March 2006, and a damaged year (9019)
/// would otherwise stretch every series over millennia of empty days.
pub const YEARS: std::ops::RangeInclusive<i64> = 2006..=2099;

/// Parses the text between the brackets of the time field, `DD/Mon/YYYY:HH:MM:SS +ZZZZ`,
/// into UTC seconds (the offset is applied). `None` if any part is malformed or out of
/// range, the year included ([`YEARS`]).
pub fn parse_log_time(b: &[u8]) -> Option<UnixSeconds> {
    if b.len() != 26 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[20] != b' ' {
        return None;
    }
    let day = digits(&b[0..2])?;
    let month = MONTHS.iter().position(|m| m[..] == b[3..6])? as u32 + 1;
    let year = digits(&b[7..11])? as i64;
    if !YEARS.contains(&year) {
        return None;
    }
    let clock = clock(b)?;
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let sign = match b[21] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let oh = digits(&b[22..24])? as i64;
    let om = digits(&b[24..26])? as i64;
    if oh > 23 || om > 59 {
        return None;
    }
    let local = days_from_civil(year, month, day) * 86_400 + clock;
    Some(local - sign * (oh * 3600 + om * 60))
}

/// `HH:MM:SS` (bytes 12..20 of the time text) as seconds into the day.
#[inline]
fn clock(b: &[u8]) -> Option<i64> {
    if b[14] != b':' || b[17] != b':' {
        return None;
    }
    let hour = digits(&b[12..14])? as i64;
    let min = digits(&b[15..17])? as i64;
    let sec = digits(&b[18..20])? as i64;
    if hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    Some(hour * 3600 + min * 60 + sec)
}

/// Remembers the last timestamp parsed: consecutive lines of a log share the same second
/// (one 26-byte comparison) or at least the same day and offset (only the clock is read).
#[derive(Default, Clone)]
pub struct TimeCache {
    text: [u8; 26],
    value: Option<UnixSeconds>,
    /// `value` minus its clock: the UTC second at which that local day started.
    day_start: UnixSeconds,
}

impl TimeCache {
    /// Same as [`parse_log_time`], with the last answer remembered.
    #[inline]
    pub fn parse(&mut self, b: &[u8]) -> Option<UnixSeconds> {
        if self.value.is_some() && b.len() == 26 {
            if b == self.text {
                return self.value;
            }
            // `DD/Mon/YYYY:` and ` +ZZZZ` as last time: already known to be valid.
            if b[..12] == self.text[..12] && b[20..] == self.text[20..] {
                let v = self.day_start + clock(b)?;
                self.text.copy_from_slice(b);
                self.value = Some(v);
                return self.value;
            }
        }
        let v = parse_log_time(b)?;
        self.text.copy_from_slice(b);
        self.value = Some(v);
        self.day_start = v - clock(b).expect("a parsed time has a valid clock");
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        /// Dates and times are written as `format!` would, years before 0 and after 9999
        /// included.
        #[test]
        fn dates_and_times_are_written_as_format_would(t in -400_000_000_000i64..400_000_000_000) {
            let (y, m, d) = civil_from_days(day_of(t));
            let secs = t.rem_euclid(86_400);
            let want = format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60);
            proptest::prop_assert_eq!(rfc3339(t), want.clone());
            proptest::prop_assert_eq!(iso_date(day_of(t)), want[..want.len() - 10].to_string());
        }

        /// The cache answers as the parser does, whatever came before.
        #[test]
        fn cache_agrees_with_the_parser(
            texts in proptest::collection::vec(
                (0usize..3, proptest::sample::select(vec![
                    "06/Feb/2019:00:00:38 +0000", "06/Feb/2019:23:59:59 +0000",
                    "06/Feb/2019:00:00:38 -0130", "07/Feb/2019:00:00:00 +0000",
                    "29/Feb/2020:12:00:00 +0000", "29/Feb/2019:12:00:00 +0000",
                ]), 12usize..20, proptest::sample::select(b"0123456789:x ".to_vec())),
                1..30,
            )
        ) {
            let mut cache = TimeCache::default();
            for (edit, base, at, byte) in texts {
                let mut t = base.as_bytes().to_vec();
                if edit == 1 {
                    // Change one byte of the clock (sometimes into nonsense).
                    t[at] = byte;
                }
                proptest::prop_assert_eq!(cache.parse(&t), parse_log_time(&t), "{}", String::from_utf8_lossy(&t));
            }
        }
    }

    #[test]
    fn parses_and_applies_offset() {
        assert_eq!(
            parse_log_time(b"06/Feb/2019:00:00:38 +0000"),
            Some(1_549_411_238)
        );
        // 16:42:07 at -0500 is 21:42:07 UTC.
        assert_eq!(
            parse_log_time(b"10/Feb/2012:16:42:07 -0500").map(rfc3339),
            Some("2012-02-10T21:42:07Z".to_string())
        );
        assert_eq!(parse_log_time(b"31/Feb/2019:00:00:38 +0000"), None);
        assert_eq!(parse_log_time(b"06/Foo/2019:00:00:38 +0000"), None);
        assert_eq!(parse_log_time(b"06/Feb/2019:24:00:38 +0000"), None);
        assert_eq!(parse_log_time(b"06/Feb/2019:00:00:38 0000"), None);
        assert_eq!(
            parse_log_time(b"29/Feb/2020:00:00:00 +0000").map(rfc3339),
            Some("2020-02-29T00:00:00Z".into())
        );
        assert_eq!(parse_log_time(b"29/Feb/2019:00:00:00 +0000"), None);
        // A year S3 logs cannot have (a damaged digit) is not a time.
        assert_eq!(parse_log_time(b"06/Feb/9019:00:00:38 +0000"), None);
        assert_eq!(parse_log_time(b"06/Feb/2005:00:00:38 +0000"), None);
        assert!(parse_log_time(b"31/Dec/2099:23:59:59 +0000").is_some());
    }

    #[test]
    fn civil_round_trip_and_weeks() {
        for d in -800_000..800_000i64 {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        // 2019-02-06 was a Wednesday; its week starts Monday 2019-02-04.
        let d = parse_iso_date("2019-02-06").unwrap();
        assert_eq!(iso_date(week_start(d)), "2019-02-04");
        assert_eq!(iso_date(week_start(week_start(d))), "2019-02-04");
        assert_eq!(
            iso_date(week_start(parse_iso_date("2019-02-10").unwrap())),
            "2019-02-04"
        );
        assert_eq!(
            iso_date(week_start(parse_iso_date("2019-02-11").unwrap())),
            "2019-02-11"
        );
        assert_eq!(
            iso_date(week_start(parse_iso_date("1969-12-31").unwrap())),
            "1969-12-29"
        );
    }
}
