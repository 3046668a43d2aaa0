//! The address tables: the packed country and network tables built into the program
//! answer as their source CSVs do (every range's edges and random addresses), AWS's
//! ranges and the cloud list are what the cloud table holds, and lookups on small tables
//! made here.

use s3logdrop::geo::pack_networks::{self, AwsPrefix};
use s3logdrop::geo::{pack, Cloud, Countries, Networks, Source};
use s3logdrop::ip::IpKey;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

fn package(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("node_modules")
        .join(file)
}

/// A committed table's bytes.
fn committed(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("src/geo")
            .join(name),
    )
    .unwrap()
}

/// A packed table inflated: the script deflates again with zopfli (smaller, the same
/// content), so tables are compared inflated.
fn inflated(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut raw = Vec::new();
    flate2::read::DeflateDecoder::new(bytes)
        .read_to_end(&mut raw)
        .unwrap();
    raw
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
/// `-num` file the packer reads): (start, end, code or AS number, row).
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
            // The third field: a country code, or an AS number (names follow it).
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

/// Checks `get` (a table's answer, as the CSV writes it) against the CSV `file`'s rows.
fn check_family(file: &str, v4: bool, get: impl Fn(IpKey) -> String) {
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
        let got = get(key(x));
        assert_eq!(
            got.as_str(),
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
    let rows = naive.rows.len();
    assert!(
        rows > 50_000 && tried >= 2 * rows + 200_000,
        "{file}: only {tried} addresses tried"
    );
}

/// The packing loses nothing: every range's first and last address, the addresses just
/// outside each, and random ones get the country the source CSV gives.
#[test]
fn the_built_in_table_answers_as_its_source_does() {
    let t = Countries::builtin();
    let get = |k| t.code(t.lookup(k)).to_string();
    let dir = "@ip-location-db/geo-whois-asn-country";
    check_family(&format!("{dir}/geo-whois-asn-country-ipv4.csv"), true, get);
    check_family(&format!("{dir}/geo-whois-asn-country-ipv6.csv"), false, get);
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
    assert!(
        inflated(&packed) == inflated(&committed("countries.bin")),
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

/// The network table loses nothing either: every range's edges and random addresses get
/// the AS number the source CSV gives, and the names kept are the source's.
#[test]
fn the_built_in_network_table_answers_as_its_source_does() {
    let t = Networks::builtin();
    let get = |k| t.asn(t.lookup(k)).map_or(String::new(), |a| a.to_string());
    check_family("@ip-location-db/asn/asn-ipv4.csv", true, get);
    check_family("@ip-location-db/asn/asn-ipv6.csv", false, get);
    // Names: the source's first name for the number, for every network packed with one.
    let mut first: BTreeMap<u32, String> = BTreeMap::new();
    for file in ["asn-ipv4-num.csv", "asn-ipv6-num.csv"] {
        let text = read(&format!("@ip-location-db/asn/{file}"));
        for row in csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
        {
            let row = row.unwrap();
            first
                .entry(row[2].parse().unwrap())
                .or_insert_with(|| row[3].trim().to_string());
        }
    }
    let (known, named) = t.counts();
    assert_eq!(known, first.len());
    assert!(named > 60_000, "{named} named");
    let key = |s: &str| IpKey::from(s.parse::<IpAddr>().unwrap());
    for ip in ["18.0.0.1", "130.237.1.1", "8.8.8.8", "2a01:4f8::1"] {
        let id = t.lookup(key(ip));
        let asn = t.asn(id).unwrap();
        assert_eq!(t.name(id), Some(first[&asn].as_str()), "{ip}");
    }
    // Every name kept is the source's.
    let mut seen = 0;
    for id in 1..=known as u32 {
        if let Some(name) = t.name(id) {
            assert_eq!(name, first[&t.asn(id).unwrap()]);
            seen += 1;
        }
    }
    assert_eq!(seen, named);
}

/// AWS's ranges: each published prefix's first and last address is in its region, named
/// by the service of the narrowest prefix that holds it (EC2 first where a prefix is
/// listed for several, AMAZON last).
#[test]
fn aws_addresses_get_their_region_and_service() {
    let t = Networks::builtin();
    let r = aws_ip_ranges::IP_RANGES;
    let mut all: Vec<(u128, u128, &str, &str, bool)> = Vec::new();
    for p in r.prefixes {
        let (a, b) = pack::block(p.ip_prefix);
        all.push((a, b, p.region, p.service, true));
    }
    for p in r.ipv6_prefixes {
        let (a, b) = pack::block(p.ipv6_prefix);
        all.push((a, b, p.region, p.service, false));
    }
    let rank = |s: &str| match s {
        "AMAZON" => 0,
        "EC2" => 2,
        _ => 1,
    };
    let mut tried = 0;
    for &(a, b, _, _, v4) in &all {
        for x in [a, b] {
            let holders: Vec<&(u128, u128, &str, &str, bool)> = all
                .iter()
                .filter(|h| h.4 == v4 && h.0 <= x && x <= h.1)
                .collect();
            let narrowest = holders.iter().map(|h| h.1 - h.0).min().unwrap();
            let best: Vec<_> = holders.iter().filter(|h| h.1 - h.0 == narrowest).collect();
            let top = best.iter().map(|h| rank(h.3)).max().unwrap();
            let k = if v4 { IpKey::v4(x as u32) } else { IpKey(x) };
            let id = t.aws(k);
            let (region, service) = (t.aws_region(id).unwrap(), t.aws_service(id).unwrap());
            assert!(
                best.iter()
                    .any(|h| h.2 == region && h.3 == service && rank(h.3) == top),
                "{:?}: {region} {service}",
                k.to_addr()
            );
            tried += 1;
        }
    }
    assert!(tried > 25_000, "{tried}");
    // Outside every prefix: no AWS answer.
    let k = IpKey::from("130.237.1.1".parse::<IpAddr>().unwrap());
    assert_eq!(
        (t.aws_region(t.aws(k)), t.aws_service(t.aws(k))),
        (None, None)
    );
}

/// The cloud table holds exactly the addresses of the listed networks and of AWS's
/// ranges, at every range's edges and at random addresses; the list's names are the
/// network table's.
#[test]
fn cloud_addresses_are_the_listed_networks_and_aws() {
    let (n, c) = (Networks::builtin(), Cloud::builtin());
    let list = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/geo/cloud.csv"),
    )
    .unwrap();
    let mut listed: BTreeMap<u32, String> = BTreeMap::new();
    for row in csv::Reader::from_reader(list.as_bytes()).records() {
        let row = row.unwrap();
        let asn: u32 = row[1].parse().unwrap();
        listed.insert(asn, row[0].to_string());
        // The network table's name for it is the one written in the list.
        let id = (1..=n.counts().0 as u32)
            .find(|&i| n.asn(i) == Some(asn))
            .unwrap_or_else(|| panic!("AS{asn} is not in the network table"));
        assert_eq!(
            n.name(id),
            Some(&row[2]),
            "AS{asn}: the list's name is stale"
        );
    }
    let expected = |k: IpKey| -> Option<String> {
        if n.aws(k) != 0 {
            return Some("Amazon Web Services".into());
        }
        n.asn(n.lookup(k)).and_then(|a| listed.get(&a).cloned())
    };
    let check = |k: IpKey| {
        assert_eq!(
            c.provider(c.lookup(k)).map(String::from),
            expected(k),
            "{:?}",
            k.to_addr()
        );
    };
    let mut tried = 0;
    for (file, v4) in [("asn-ipv4.csv", true), ("asn-ipv6.csv", false)] {
        for (a, b, _, _) in text_rows(&format!("@ip-location-db/asn/{file}")) {
            for x in [a, b] {
                check(if v4 { IpKey::v4(x as u32) } else { IpKey(x) });
                tried += 1;
            }
        }
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..200_000 {
        check(IpKey::v4(random(&mut seed) as u32));
        tried += 1;
    }
    assert!(tried > 1_000_000, "{tried}");
}

/// The committed network and cloud tables are what `scripts/update-geo.sh` makes.
#[test]
fn the_built_in_network_tables_are_the_packed_sources() {
    let n = Networks::builtin();
    let r = aws_ip_ranges::IP_RANGES;
    let mut aws: Vec<AwsPrefix> = Vec::new();
    for p in r.prefixes {
        aws.push(AwsPrefix {
            prefix: p.ip_prefix.into(),
            region: p.region.into(),
            service: p.service.into(),
        });
    }
    for p in r.ipv6_prefixes {
        aws.push(AwsPrefix {
            prefix: p.ipv6_prefix.into(),
            region: p.region.into(),
            service: p.service.into(),
        });
    }
    let list = String::from_utf8(committed("cloud.csv")).unwrap();
    let (networks, cloud) = pack_networks::pack(pack_networks::Inputs {
        v4_csv: &read("@ip-location-db/asn/asn-ipv4-num.csv"),
        v6_csv: &read("@ip-location-db/asn/asn-ipv6-num.csv"),
        source: n.source().clone(),
        aws,
        aws_source: n.aws_source().clone(),
        cloud_list: &list,
    })
    .unwrap();
    assert!(
        inflated(&networks) == inflated(&committed("networks.bin")),
        "src/geo/networks.bin is stale: run scripts/update-geo.sh"
    );
    assert!(
        inflated(&cloud) == inflated(&committed("cloud.bin")),
        "src/geo/cloud.bin is stale: run scripts/update-geo.sh"
    );
}

/// A small network table: an AS inside another's range wins where it is, an unnamed
/// small network keeps its number, the special blocks are in no network; damaged
/// tables and lists are refused.
#[test]
fn small_network_tables_at_their_edges() {
    let v4 = |a: u32| a << 24;
    let csv4 = format!(
        "{},{},100,Big University\n{},{},200,Small Co\n{},{},300,Private\n",
        v4(20),
        v4(21) - 1,
        v4(20) + 256,
        v4(20) + 511,
        v4(10),
        v4(11) - 1,
    );
    let list = "provider,asn,name_in_asn_table\nAmazon Web Services,100,Big University\n";
    let source = Source {
        name: "t".into(),
        date: "2026-01-01".into(),
        licence: "t".into(),
    };
    let inputs = |list: &'static str, csv4: &str| {
        pack_networks::pack(pack_networks::Inputs {
            v4_csv: csv4,
            v6_csv: "",
            source: source.clone(),
            aws: vec![AwsPrefix {
                prefix: "20.0.1.0/24".into(),
                region: "eu-west-1".into(),
                service: "EC2".into(),
            }],
            aws_source: source.clone(),
            cloud_list: list,
        })
    };
    let (nb, cb) = inputs(list, &csv4).unwrap();
    let (n, c) = (
        Networks::from_packed(&nb).unwrap(),
        Cloud::from_packed(&cb).unwrap(),
    );
    let at = |ip: &str| {
        let k = IpKey::from(ip.parse::<IpAddr>().unwrap());
        let id = n.lookup(k);
        (
            n.asn(id),
            n.name(id).map(String::from),
            c.provider(c.lookup(k)).map(String::from),
            n.aws_region(n.aws(k)).map(String::from),
        )
    };
    let aws = Some("Amazon Web Services".to_string());
    let big = (
        Some(100),
        Some("Big University".to_string()),
        aws.clone(),
        None,
    );
    assert_eq!(at("20.0.0.0"), big);
    assert_eq!(at("20.0.0.255"), big);
    // Small Co's 256 addresses: its number, no name (under 1,024 addresses), not cloud;
    // AWS's /24 inside it is cloud and in eu-west-1.
    assert_eq!(
        at("20.0.1.0"),
        (Some(200), None, aws.clone(), Some("eu-west-1".into()))
    );
    assert_eq!(
        at("20.0.1.255"),
        (Some(200), None, aws.clone(), Some("eu-west-1".into()))
    );
    assert_eq!(at("20.0.2.0"), big);
    assert_eq!(at("20.255.255.255"), big);
    assert_eq!(at("21.0.0.0"), (None, None, None, None));
    assert_eq!(at("19.255.255.255"), (None, None, None, None));
    // 10.0.0.0/8 is private: in no network whatever the source says.
    assert_eq!(at("10.1.2.3"), (None, None, None, None));
    assert_eq!(at("2001:db8::1"), (None, None, None, None));
    // Refused: a listed AS the table does not have, a list with no AWS provider, a
    // damaged table.
    let missing = "provider,asn,name_in_asn_table\nAmazon Web Services,999,x\n";
    assert!(inputs(missing, &csv4).unwrap_err().contains("AS999"));
    let no_aws = "provider,asn,name_in_asn_table\nHetzner,100,x\n";
    assert!(inputs(no_aws, &csv4)
        .unwrap_err()
        .contains("Amazon Web Services"));
    assert!(inputs(list, "1,0,5,x\n").is_err());
    assert!(Networks::from_packed(&nb[..nb.len() / 2]).is_err());
    assert!(Cloud::from_packed(b"not a table").is_err());
    assert!(Networks::from_packed(&cb).is_err());
}
