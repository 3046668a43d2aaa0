//! Numbers for publication: what data archives do to usage counts before they publish
//! them (statistical disclosure control). With the option on, unique-user counts are
//! rounded to the nearest [`STEP`], and any count from 1 to `THRESHOLD - 1` is shown as
//! `<10` instead of its value (zero stays zero: it tells nothing about anyone). Bytes and
//! dates stay as they are. The page, the print, the CSVs and the chart's title use it; the
//! summary JSON and the row exports keep exact numbers (they are data, not a publication).

use std::fmt;

/// Counts below this (and above zero) are not shown.
pub const THRESHOLD: u64 = 10;
/// Unique-user counts are rounded to a multiple of this.
pub const STEP: u64 = 10;

/// What a number is, which decides how it is published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Downloads, full-download equivalents: hidden under the threshold, exact above.
    Count,
    /// Unique users: hidden under the threshold, rounded above.
    Users,
}

/// A number as it is published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// This value (exact, or rounded for users).
    Value(u64),
    /// Between 1 and `THRESHOLD - 1`: written `<10`.
    Below,
}

/// `n` as published under `on` (off: `n` itself).
pub fn shown(n: u64, kind: Kind, on: bool) -> Shown {
    if !on || n == 0 {
        return Shown::Value(n);
    }
    if n < THRESHOLD {
        return Shown::Below;
    }
    match kind {
        Kind::Count => Shown::Value(n),
        // Half up: 15 -> 20, 14 -> 10.
        Kind::Users => Shown::Value((n + STEP / 2) / STEP * STEP),
    }
}

impl Shown {
    /// The value, or None when it is hidden.
    pub fn value(self) -> Option<u64> {
        match self {
            Shown::Value(v) => Some(v),
            Shown::Below => None,
        }
    }

    /// For people: `12,350`, `< 10`.
    pub fn for_people(self) -> String {
        match self {
            Shown::Value(v) => crate::methods::thousands(v),
            Shown::Below => format!("< {THRESHOLD}"),
        }
    }
}

/// The CSV cell: `12350`, `<10`.
impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shown::Value(v) => write!(f, "{v}"),
            Shown::Below => write!(f, "<{THRESHOLD}"),
        }
    }
}

/// A count with decimals (full-download equivalents) as a CSV cell: two decimals, or
/// `<10` when it is published and from 0.005 up to under the threshold.
pub fn decimal_cell(x: f64, on: bool) -> String {
    let cell = format!("{x:.2}");
    if on && cell != "0.00" && x < THRESHOLD as f64 {
        return format!("<{THRESHOLD}");
    }
    cell
}

/// The sentence the methods paragraph adds when the option is on.
pub fn sentence() -> String {
    format!(
        "For publication, unique-user counts are rounded to the nearest {STEP}, and counts from 1 to {} are shown as \"<{THRESHOLD}\" (exact numbers are kept in summary.json).",
        THRESHOLD - 1
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_is_exact() {
        for n in [0, 1, 9, 10, 14, 15, 12_345] {
            assert_eq!(shown(n, Kind::Users, false), Shown::Value(n));
            assert_eq!(shown(n, Kind::Count, false), Shown::Value(n));
        }
    }

    #[test]
    fn small_counts_are_hidden_and_users_rounded() {
        assert_eq!(shown(0, Kind::Users, true), Shown::Value(0));
        assert_eq!(shown(1, Kind::Count, true), Shown::Below);
        assert_eq!(shown(9, Kind::Users, true), Shown::Below);
        assert_eq!(shown(10, Kind::Count, true), Shown::Value(10));
        assert_eq!(shown(11, Kind::Count, true), Shown::Value(11));
        assert_eq!(shown(14, Kind::Users, true), Shown::Value(10));
        assert_eq!(shown(15, Kind::Users, true), Shown::Value(20));
        assert_eq!(shown(12_345, Kind::Users, true), Shown::Value(12_350));
        assert_eq!(shown(3, Kind::Count, true).to_string(), "<10");
        assert_eq!(shown(3, Kind::Count, true).for_people(), "< 10");
        assert_eq!(shown(12_345, Kind::Users, true).for_people(), "12,350");
    }

    #[test]
    fn equivalents_hide_like_counts() {
        assert_eq!(decimal_cell(0.0, true), "0.00");
        assert_eq!(decimal_cell(0.004, true), "0.00");
        assert_eq!(decimal_cell(0.5, true), "<10");
        assert_eq!(decimal_cell(9.999, true), "<10");
        assert_eq!(decimal_cell(10.0, true), "10.00");
        assert_eq!(decimal_cell(0.5, false), "0.50");
    }
}
