//! The country table: the packed table built into the program answers as its source CSVs
//! do (every range's edges and random addresses), and lookups on a small table made here.

use s3logdrop::geo::{pack, Countries, Source};
use s3logdrop::ip::IpKey;
use std::net::IpAddr;
use std::path::PathBuf;

fn package(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("node_modules")
        .join(file)
}

fn read(file: &str) -> String {
    let p = package(file);
    std::fs::read_to_string(&p).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the country table's source comes with `npm ci`)",
            p.display()
        )
    })
}

/// The source rows of one family, read from the CSV of addresses in text form (not the
/// `-num` file the packer reads): (start, end, code, row).
fn text_rows(file: &str) -> Vec<(u128, u128, String, usize)> {
    read(file)
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let f: Vec<&str> = l.split(',').collect();
            // IPv4 as the 32-bit number (not IPv4-mapped), as the lookup is tried.
            let num = |s: &str| {
                let k = IpKey::from(s.parse::<IpAddr>().unwrap());
                if k.is_v4() {
                    k.0 & 0xffff_ffff
                } else {
                    k.0
                }
            };
            (num(f[0]), num(f[1]), f[2].to_string(), i)
        })
        .collect()
}

/// The naive answer: the narrowest range that holds `x`, the later row on a tie.
struct Naive {
    rows: Vec<(u128, u128, String, usize)>,
    /// The largest end among rows[..=i], to know when to stop looking back.
    max_end: Vec<u128>,
}

impl Naive {
    fn new(mut rows: Vec<(u128, u128, String, usize)>) -> Naive {
        rows.sort_by_key(|r| (r.0, r.3));
        let mut m = 0;
        let max_end = rows
            .iter()
            .map(|r| {
                m = m.max(r.1);
                m
            })
            .collect();
        Naive { rows, max_end }
    }

    fn code(&self, x: u128, special: &[(u128, u128)]) -> &str {
        if special.iter().any(|&(a, b)| a <= x && x <= b) {
            return "";
        }
        let mut best: Option<&(u128, u128, String, usize)> = None;
        let mut j = self.rows.partition_point(|r| r.0 <= x);
        while j > 0 && self.max_end[j - 1] >= x {
            j -= 1;
            let r = &self.rows[j];
            if r.0 <= x && x <= r.1 {
                let better = best.is_none_or(|b| {
                    (r.1 - r.0, std::cmp::Reverse(r.3)) < (b.1 - b.0, std::cmp::Reverse(b.3))
                });
                if better {
                    best = Some(r);
                }
            }
        }
        best.map_or("", |r| r.2.as_str())
    }
}

/// A small xorshift, so the addresses tried are the same at every run.
fn random(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

fn check_family(table: &Countries, file: &str, v4: bool) {
    let naive = Naive::new(text_rows(file));
    let special: Vec<(u128, u128)> = if v4 {
        &pack::SPECIAL_V4[..]
    } else {
        &pack::SPECIAL_V6[..]
    }
    .iter()
    .map(|b| pack::block(b))
    .collect();
    let key = |x: u128| if v4 { IpKey::v4(x as u32) } else { IpKey(x) };
    let max: u128 = if v4 { u32::MAX as u128 } else { u128::MAX };
    let mut tried = 0;
    let mut check = |x: u128| {
        let got = table.code(table.lookup(key(x)));
        assert_eq!(
            got,
            naive.code(x, &special),
            "{file}: {:?}",
            key(x).to_addr()
        );
        tried += 1;
    };
    let edges = naive.rows.iter().map(|r| (r.0, r.1)).chain(special.clone());
    for r in edges {
        for x in [r.0, r.1, r.0.wrapping_sub(1), r.1.wrapping_add(1)] {
            if x <= max {
                check(x);
            }
        }
    }
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..200_000 {
        let x = if v4 {
            random(&mut seed) as u32 as u128
        } else {
            // Most of IPv6 is unallocated: draw within 2000::/3, where the ranges are.
            let hi = (random(&mut seed) as u128) << 64 | random(&mut seed) as u128;
            0x2000u128 << 112 | hi >> 3
        };
        check(x);
    }
    assert!(tried > 1_000_000, "{file}: only {tried} addresses tried");
}

/// The packing loses nothing: every range's first and last address, the addresses just
/// outside each, and random ones get the country the source CSV gives.
#[test]
fn the_built_in_table_answers_as_its_source_does() {
    let table = Countries::builtin();
    check_family(
        table,
        "@ip-location-db/geo-whois-asn-country/geo-whois-asn-country-ipv4.csv",
        true,
    );
    check_family(
        table,
        "@ip-location-db/geo-whois-asn-country/geo-whois-asn-country-ipv6.csv",
        false,
    );
}

/// The committed table is what `scripts/update-geo.sh` makes from the pinned packages.
#[test]
fn the_built_in_table_is_the_packed_source() {
    let dir = "@ip-location-db/geo-whois-asn-country";
    let packed = pack::pack(
        &read(&format!("{dir}/geo-whois-asn-country-ipv4-num.csv")),
        &read(&format!("{dir}/geo-whois-asn-country-ipv6-num.csv")),
        &read("i18n-iso-countries/langs/en.json"),
        Countries::builtin().source().clone(),
    )
    .unwrap();
    let built_in =
        std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/geo/countries.bin"))
            .unwrap();
    assert!(
        packed == built_in,
        "src/geo/countries.bin is stale: run scripts/update-geo.sh"
    );
    let t = Countries::builtin();
    assert!(t.source().name.contains(
        &read(&format!("{dir}/package.json"))
            .split("\"version\": \"")
            .nth(1)
            .unwrap()[..14]
    ));
    assert_eq!(
        t.name(t.lookup(IpKey::from("8.8.8.8".parse::<IpAddr>().unwrap()))),
        "United States"
    );
}

const NAMES: &str = r#"{"countries": {"FR": "France", "DE": "Germany", "JP": "Japan", "CN": ["People's Republic of China", "China"]}}"#;

fn small() -> Countries {
    let v4 = "\
16777216,16777471,FR
16777472,16777727,DE
16777728,16777983,DE
16778240,16779263,JP
16778496,16778496,CN
3758096128,3758096383,FR
";
    // 2a01:4f8::/32 is DE, with 2a01:4f8:1::/48 inside it JP; 2a01:4f9:: alone CN.
    let v6 = format!(
        "{},{},DE\n{},{},JP\n{},{},CN\n",
        0x2a01_04f8u128 << 96,
        (0x2a01_04f8u128 << 96) | ((1u128 << 96) - 1),
        (0x2a01_04f8_0001u128) << 80,
        ((0x2a01_04f8_0001u128) << 80) | ((1u128 << 80) - 1),
        0x2a01_04f9u128 << 96,
        0x2a01_04f9u128 << 96,
    );
    let source = Source {
        name: "test".into(),
        date: "2026-01-01".into(),
        licence: "none".into(),
    };
    Countries::from_packed(&pack::pack(v4, &v6, NAMES, source).unwrap()).unwrap()
}

fn code(t: &Countries, ip: &str) -> String {
    t.code(t.lookup(IpKey::from(ip.parse::<IpAddr>().unwrap())))
        .to_string()
}

#[test]
fn lookups_at_range_edges_and_outside_every_range() {
    let t = small();
    for (ip, want) in [
        ("0.0.0.0", ""),
        ("0.255.255.255", ""),
        ("1.0.0.0", "FR"),
        ("1.0.0.255", "FR"),
        ("1.0.1.0", "DE"),
        // Two DE ranges side by side are one.
        ("1.0.2.255", "DE"),
        ("1.0.3.0", ""),
        ("1.0.3.255", ""),
        ("1.0.4.0", "JP"),
        // A one-address range inside a larger one wins; its neighbours do not.
        ("1.0.4.255", "JP"),
        ("1.0.5.0", "CN"),
        ("1.0.5.1", "JP"),
        ("1.0.7.255", "JP"),
        ("1.0.8.0", ""),
        ("223.255.255.0", "FR"),
        ("223.255.255.255", "FR"),
        ("224.0.0.0", ""),
        ("::", ""),
        ("2a01:4f7:ffff:ffff:ffff:ffff:ffff:ffff", ""),
        ("2a01:4f8::", "DE"),
        ("2a01:4f8:0:ffff:ffff:ffff:ffff:ffff", "DE"),
        ("2a01:4f8:1::", "JP"),
        ("2a01:4f8:1:ffff:ffff:ffff:ffff:ffff", "JP"),
        ("2a01:4f8:2::", "DE"),
        ("2a01:4f8:ffff:ffff:ffff:ffff:ffff:ffff", "DE"),
        ("2a01:4f9::", "CN"),
        ("2a01:4f9::1", ""),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ""),
        // A special-purpose block is in no country whatever the table says.
        ("2001:db8::1", ""),
    ] {
        assert_eq!(code(&t, ip), want, "{ip}");
    }
    // IPv4 addresses written as IPv4-mapped IPv6 are the same addresses.
    assert_eq!(code(&t, "::ffff:1.0.4.0"), "JP");
    assert_eq!(
        t.name(t.lookup(IpKey::from("1.0.5.0".parse::<IpAddr>().unwrap()))),
        "China"
    );
    assert_eq!(t.name(0), "Unknown");
    assert_eq!(t.code(0), "");
}

#[test]
fn damaged_tables_are_refused() {
    let source = || Source {
        name: "t".into(),
        date: "d".into(),
        licence: "l".into(),
    };
    assert!(
        pack::pack("16777217,16777216,FR\n", "", NAMES, source()).is_err(),
        "start after end"
    );
    assert!(
        pack::pack("16777216,4294967296,FR\n", "", NAMES, source()).is_err(),
        "past IPv4"
    );
    assert!(
        pack::pack("16777216,16777217,XX\n", "", NAMES, source()).is_err(),
        "a code with no name"
    );
    assert!(
        pack::pack("16777216,16777217\n", "", NAMES, source()).is_err(),
        "two columns"
    );
    let good = pack::pack("16777216,16777217,FR\n", "", NAMES, source()).unwrap();
    assert!(Countries::from_packed(&good).is_ok());
    assert!(Countries::from_packed(&good[..good.len() / 2]).is_err());
    assert!(Countries::from_packed(b"not a table").is_err());
}
