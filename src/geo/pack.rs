//! Packing a country table from ip-location-db's CSVs (`scripts/update-geo.sh` runs it
//! through `examples/pack_geo.rs`). Native only: the page reads the packed table.
//!
//! The CSVs' ranges are not all disjoint: a few hundred lie inside others or cross them
//! (a network's own geofeed entry inside its registry block). An address takes the
//! country of the narrowest range that holds it, and of the later row when two such
//! ranges are as wide; the packed table is that rule worked out once, as disjoint ranges,
//! with the special-purpose blocks ([`SPECIAL_V4`], [`SPECIAL_V6`]) in no country.

use super::{CountryId, Packed, Source, FORMAT};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

/// Names for codes that the names package lacks or gives in a long or ambiguous form.
const NAMES: [(&str, &str); 22] = [
    ("AN", "Netherlands Antilles"),
    ("AX", "Åland Islands"),
    ("CD", "Democratic Republic of the Congo"),
    ("CG", "Republic of the Congo"),
    ("CI", "Côte d'Ivoire"),
    ("CN", "China"),
    ("CZ", "Czechia"),
    ("GB", "United Kingdom"),
    ("GM", "Gambia"),
    ("IR", "Iran"),
    ("KR", "South Korea"),
    ("KP", "North Korea"),
    ("MK", "North Macedonia"),
    ("NL", "Netherlands"),
    ("PN", "Pitcairn Islands"),
    ("PS", "Palestine"),
    ("RU", "Russia"),
    ("TR", "Türkiye"),
    ("TW", "Taiwan"),
    ("TZ", "Tanzania"),
    ("US", "United States"),
    ("XK", "Kosovo"),
];

/// Blocks that are in no country whatever a table says (IANA's special-purpose address
/// registries, RFC 6890 and later): private networks (S3 logs show them for requests
/// through a VPC endpoint), loopback, link-local, shared (CGNAT), documentation,
/// benchmarking, multicast and reserved space. The source maps a few of them to a country
/// (2001:db8::/32, the documentation prefix, to Japan).
pub const SPECIAL_V4: [&str; 15] = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
];
/// See [`SPECIAL_V4`]. 2002::/16 (6to4) and 64:ff9b::/96 (NAT64) hold an IPv4 address
/// inside; they are not unwrapped.
pub const SPECIAL_V6: [&str; 10] = [
    "::/127",
    "64:ff9b::/96",
    "100::/64",
    "2001:db8::/32",
    "2002::/16",
    "3fff::/20",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
];

/// The first and last address of a block written `address/bits`, as numbers of its family.
pub fn block(cidr: &str) -> (u128, u128) {
    let (addr, bits) = cidr.split_once('/').expect("address/bits");
    let bits: u32 = bits.parse().expect("bits");
    let (a, width) = match addr.parse::<std::net::IpAddr>().expect("an address") {
        std::net::IpAddr::V4(a) => (u32::from(a) as u128, 32),
        std::net::IpAddr::V6(a) => (u128::from(a), 128),
    };
    let host = (width - bits) as u128;
    let last = if host == 128 {
        u128::MAX
    } else {
        a | ((1u128 << host) - 1)
    };
    (a, last)
}

/// `flat` with the `blocks` cut out.
pub fn cut<L: Copy>(flat: Vec<(u128, u128, L)>, blocks: &[&str]) -> Vec<(u128, u128, L)> {
    let blocks: Vec<(u128, u128)> = blocks.iter().map(|b| block(b)).collect();
    let mut out = Vec::with_capacity(flat.len());
    for (a, b, label) in flat {
        // The parts of [a, b] outside every block (blocks do not overlap each other).
        let mut parts = vec![(a, b)];
        for &(x, y) in &blocks {
            parts = parts
                .into_iter()
                .flat_map(|(a, b)| {
                    if y < a || x > b {
                        return vec![(a, b)];
                    }
                    let mut keep = Vec::new();
                    if a < x {
                        keep.push((a, x - 1));
                    }
                    if b > y {
                        keep.push((y + 1, b));
                    }
                    keep
                })
                .collect();
        }
        out.extend(parts.into_iter().map(|(a, b)| (a, b, label)));
    }
    out
}

/// A range of one family's addresses as numbers, inclusive, with its country code.
pub type Range = (u128, u128, String);

/// Reads a CSV of address ranges written as numbers (ip-location-db's `-num` files): rows
/// of the `columns` (`start,end,country`), the first two the range's first and last
/// address (at most `max`), the rest read by `label` (`None`: the row is wrong).
pub fn read_ranges<T>(
    text: &str,
    max: u128,
    columns: &str,
    mut label: impl FnMut(&csv::StringRecord) -> Option<T>,
) -> Result<Vec<(u128, u128, T)>, String> {
    let width = columns.split(',').count();
    let mut out = Vec::new();
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    for (i, row) in r.records().enumerate() {
        let row = row.map_err(|e| format!("row {}: {e}", i + 1))?;
        let bad = || format!("row {}: not {columns}: {:?}", i + 1, row);
        if row.len() != width {
            return Err(bad());
        }
        let a: u128 = row[0].parse().map_err(|_| bad())?;
        let b: u128 = row[1].parse().map_err(|_| bad())?;
        if a > b || b > max {
            return Err(bad());
        }
        out.push((a, b, label(&row).ok_or_else(bad)?));
    }
    Ok(out)
}

/// Reads a `start,end,country` CSV of addresses written as numbers.
pub fn read_num_csv(text: &str, max: u128) -> Result<Vec<Range>, String> {
    read_ranges(text, max, "start,end,country", |row| {
        let cc = &row[2];
        (cc.len() == 2 && cc.bytes().all(|c| c.is_ascii_uppercase())).then(|| cc.to_string())
    })
}

/// Disjoint ranges, in order, each with the label (a country, a network) of the narrowest
/// source range that holds it (the later row on a tie); neighbours of one label joined.
pub fn flatten<T: PartialEq>(ranges: &[(u128, u128, T)]) -> Vec<(u128, u128, &T)> {
    // Where each range starts and where it stops (end + 1, or past the last address).
    let mut starts: BTreeMap<u128, Vec<usize>> = BTreeMap::new();
    let mut stops: BTreeMap<u128, Vec<usize>> = BTreeMap::new();
    for (i, (a, b, _)) in ranges.iter().enumerate() {
        starts.entry(*a).or_default().push(i);
        if let Some(s) = b.checked_add(1) {
            stops.entry(s).or_default().push(i);
        }
    }
    let points: BTreeSet<u128> = starts.keys().chain(stops.keys()).copied().collect();
    let points: Vec<u128> = points.into_iter().collect();
    // The ranges open at a point, narrowest first, then the later row.
    let mut open: BTreeSet<(u128, std::cmp::Reverse<usize>)> = BTreeSet::new();
    let width = |i: usize| ranges[i].1 - ranges[i].0;
    let mut out: Vec<(u128, u128, &T)> = Vec::new();
    for (k, &p) in points.iter().enumerate() {
        for &i in stops.get(&p).into_iter().flatten() {
            open.remove(&(width(i), std::cmp::Reverse(i)));
        }
        for &i in starts.get(&p).into_iter().flatten() {
            open.insert((width(i), std::cmp::Reverse(i)));
        }
        let Some(&(_, std::cmp::Reverse(i))) = open.first() else {
            continue;
        };
        // Up to the next point, or to the end of this range when it is the last point.
        let end = match points.get(k + 1) {
            Some(&next) => next - 1,
            None => ranges[i].1,
        };
        let label = &ranges[i].2;
        match out.last_mut() {
            Some(last) if *last.2 == *label && last.1.checked_add(1) == Some(p) => last.1 = end,
            _ => out.push((p, end, label)),
        }
    }
    out
}

/// Starts (with a start of "none" after each range not followed by another) and their
/// ids, `number(label)`.
pub fn starts_and_ids<L: Copy, I: Default>(
    flat: &[(u128, u128, L)],
    number: impl Fn(L) -> I,
    max: u128,
) -> (Vec<u128>, Vec<I>) {
    let (mut starts, mut ids) = (Vec::new(), Vec::new());
    for (k, &(a, b, label)) in flat.iter().enumerate() {
        if k == 0 && a > 0 {
            starts.push(0);
            ids.push(I::default());
        }
        starts.push(a);
        ids.push(number(label));
        let next = flat.get(k + 1).map(|r| r.0);
        if let Some(after) = b.checked_add(1).filter(|&a| a <= max) {
            if next != Some(after) {
                starts.push(after);
                ids.push(I::default());
            }
        }
    }
    (starts, ids)
}

/// The gaps between IPv4 starts (held as u128 while packing), as the packed form keeps them.
pub fn gaps_v4(starts: &[u128]) -> Vec<u32> {
    gaps(starts).into_iter().map(|g| g as u32).collect()
}

/// The gaps between starts (the first is its own gap).
pub fn gaps(starts: &[u128]) -> Vec<u128> {
    let mut prev = 0;
    starts
        .iter()
        .map(|&s| s - std::mem::replace(&mut prev, s))
        .collect()
}

/// Packs the tables: IPv4 and IPv6 `-num` CSVs, and the names package's `en.json`
/// (`{"countries": {"FR": "France", "CN": ["People's Republic of China", "China"], …}}`).
pub fn pack(
    v4_csv: &str,
    v6_csv: &str,
    names_json: &str,
    source: Source,
) -> Result<Vec<u8>, String> {
    let v4 = read_num_csv(v4_csv, u32::MAX as u128).map_err(|e| format!("IPv4 table: {e}"))?;
    let v6 = read_num_csv(v6_csv, u128::MAX).map_err(|e| format!("IPv6 table: {e}"))?;
    let names: serde_json::Value =
        serde_json::from_str(names_json).map_err(|e| format!("country names: {e}"))?;
    let names = names
        .get("countries")
        .and_then(|c| c.as_object())
        .ok_or("country names: no \"countries\" object")?;
    let (f4, f6) = (
        cut(flatten(&v4), &SPECIAL_V4),
        cut(flatten(&v6), &SPECIAL_V6),
    );
    let used: BTreeSet<&str> = f4.iter().chain(&f6).map(|r| r.2.as_str()).collect();
    let mut codes = vec![String::new()];
    let mut full = vec!["Unknown".to_string()];
    for &cc in &used {
        let name = NAMES
            .iter()
            .find(|(c, _)| *c == cc)
            .map(|(_, n)| n.to_string())
            .or_else(|| match names.get(cc) {
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(serde_json::Value::Array(a)) => {
                    a.first().and_then(|s| s.as_str()).map(String::from)
                }
                _ => None,
            })
            .ok_or_else(|| format!("no name for the country code {cc}"))?;
        codes.push(cc.to_string());
        full.push(name);
    }
    if codes.len() > 256 {
        return Err("more than 255 countries".into());
    }
    let number: BTreeMap<&str, CountryId> = used
        .iter()
        .enumerate()
        .map(|(i, &cc)| (cc, (i + 1) as CountryId))
        .collect();
    let (s4, v4_ids) = starts_and_ids(&f4, |cc: &String| number[cc.as_str()], u32::MAX as u128);
    let (s6, v6_ids) = starts_and_ids(&f6, |cc: &String| number[cc.as_str()], u128::MAX);
    let packed = Packed {
        format: FORMAT,
        source,
        codes,
        names: full,
        v4_gaps: gaps_v4(&s4),
        v4_ids,
        v6_gaps: gaps(&s6),
        v6_ids,
    };
    deflate(&packed)
}

/// A packed form: postcard, deflated.
pub fn deflate<T: serde::Serialize>(packed: &T) -> Result<Vec<u8>, String> {
    let raw = postcard::to_stdvec(packed).map_err(|e| e.to_string())?;
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&raw).map_err(|e| e.to_string())?;
    z.finish().map_err(|e| e.to_string())
}
