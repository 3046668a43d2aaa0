//! Packs the address tables and the map built into s3logdrop: `countries.bin` from the
//! npm packages `@ip-location-db/geo-whois-asn-country` and `i18n-iso-countries`,
//! `networks.bin` and `cloud.bin` from `@ip-location-db/asn`, AWS's `ip-ranges.json` (the
//! crate `aws-ip-ranges`) and the list `cloud.csv`, and `map.bin` from `world-atlas`; run
//! by `scripts/update-geo.sh`, which installs the packages.
//!
//! `cargo run --release --example pack_geo -- NODE_MODULES SRC_GEO_DIR`
//! (SRC_GEO_DIR holds `cloud.csv` and receives the four files).

use s3logdrop::geo::pack_networks::{self, AwsPrefix};
use s3logdrop::geo::{pack, pack_map, Cloud, Countries, Networks, Source, WorldMap};
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [modules, out] = &args[..] else {
        eprintln!("usage: pack_geo NODE_MODULES SRC_GEO_DIR");
        std::process::exit(2);
    };
    let (m, out) = (Path::new(modules), Path::new(out));
    let names = m.join("i18n-iso-countries");
    let done = countries(
        &m.join("@ip-location-db/geo-whois-asn-country"),
        &names,
        out,
    )
    .and_then(|_| networks(&m.join("@ip-location-db/asn"), out))
    .and_then(|_| world(&m.join("world-atlas"), &names, out));
    if let Err(e) = done {
        eprintln!("pack_geo: {e}");
        std::process::exit(1);
    }
}

fn read(p: &Path) -> Result<String, String> {
    std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))
}

/// Writes a packed table, deflated again with zopfli (smaller, the same format).
fn write(p: &Path, deflated: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut raw = Vec::new();
    flate2::read::DeflateDecoder::new(deflated)
        .read_to_end(&mut raw)
        .map_err(|e| e.to_string())?;
    let options = zopfli::Options {
        iteration_count: std::num::NonZeroU64::new(5).expect("5"),
        ..Default::default()
    };
    let mut out = Vec::new();
    zopfli::compress(options, zopfli::Format::Deflate, &raw[..], &mut out)
        .map_err(|e| e.to_string())?;
    std::fs::write(p, &out).map_err(|e| format!("{}: {e}", p.display()))?;
    Ok(out)
}

/// A package's name and version, and the day its data was made (ip-location-db's
/// versions are 2.3.YYYYMMDDHH).
fn package(dir: &Path) -> Result<(String, String), String> {
    let package: serde_json::Value = serde_json::from_str(&read(&dir.join("package.json"))?)
        .map_err(|e| format!("package.json: {e}"))?;
    let (name, version) = (
        package["name"].as_str().unwrap_or_default(),
        package["version"].as_str().unwrap_or_default(),
    );
    let stamp = version.rsplit('.').next().unwrap_or_default();
    match stamp.len() {
        10 => Ok((
            format!("{name} {version}"),
            format!("{}-{}-{}", &stamp[..4], &stamp[4..6], &stamp[6..8]),
        )),
        _ => Err(format!("{name} {version}: no date in the version")),
    }
}

fn countries(geo: &Path, names: &Path, out: &Path) -> Result<(), String> {
    let (name, date) = package(geo)?;
    let source = Source {
        name,
        date,
        licence: "the five Regional Internet Registries' records, \u{a9} NRO (nro.net), \
                  CC BY 4.0, compiled by ip-location-db"
            .into(),
    };
    let bytes = pack::pack(
        &read(&geo.join("geo-whois-asn-country-ipv4-num.csv"))?,
        &read(&geo.join("geo-whois-asn-country-ipv6-num.csv"))?,
        &read(&names.join("langs/en.json"))?,
        source,
    )?;
    let path = out.join("countries.bin");
    let bytes = write(&path, &bytes)?;
    let (v4, v6) = Countries::from_packed(&bytes)?.ranges();
    println!(
        "{}: {} bytes, {v4} IPv4 and {v6} IPv6 ranges",
        path.display(),
        bytes.len()
    );
    Ok(())
}

fn networks(asn: &Path, out: &Path) -> Result<(), String> {
    let (name, date) = package(asn)?;
    let source = Source {
        name,
        date,
        licence: "RouteViews (routeviews.org) and DB-IP (db-ip.com) IP to ASN data, CC BY 4.0, \
                  compiled by ip-location-db"
            .into(),
    };
    let r = aws_ip_ranges::IP_RANGES;
    let d = r.create_date; // 2025-10-31-07-08-41
    let aws_source = Source {
        name: format!(
            "AWS ip-ranges.json (syncToken {}, crate aws-ip-ranges)",
            r.sync_token
        ),
        date: d.get(..10).unwrap_or(d).to_string(),
        licence: "published by Amazon Web Services at ip-ranges.amazonaws.com".into(),
    };
    let mut aws: Vec<AwsPrefix> = r
        .prefixes
        .iter()
        .map(|p| AwsPrefix {
            prefix: p.ip_prefix.to_string(),
            region: p.region.to_string(),
            service: p.service.to_string(),
        })
        .collect();
    aws.extend(r.ipv6_prefixes.iter().map(|p| AwsPrefix {
        prefix: p.ipv6_prefix.to_string(),
        region: p.region.to_string(),
        service: p.service.to_string(),
    }));
    let (n, c) = pack_networks::pack(pack_networks::Inputs {
        v4_csv: &read(&asn.join("asn-ipv4-num.csv"))?,
        v6_csv: &read(&asn.join("asn-ipv6-num.csv"))?,
        source,
        aws,
        aws_source,
        cloud_list: &read(&out.join("cloud.csv"))?,
    })?;
    let (np, cp) = (out.join("networks.bin"), out.join("cloud.bin"));
    let (n, c) = (write(&np, &n)?, write(&cp, &c)?);
    let t = Networks::from_packed(&n)?;
    let ((v4, v6), (a4, a6)) = t.ranges();
    let (known, named) = t.counts();
    println!(
        "{}: {} bytes, {v4} IPv4 and {v6} IPv6 ranges, {known} networks ({named} named), \
         {a4} IPv4 and {a6} IPv6 AWS ranges",
        np.display(),
        n.len()
    );
    let (c4, c6) = Cloud::from_packed(&c)?.ranges();
    println!(
        "{}: {} bytes, {c4} IPv4 and {c6} IPv6 ranges",
        cp.display(),
        c.len()
    );
    Ok(())
}

fn world(atlas: &Path, names: &Path, out: &Path) -> Result<(), String> {
    let package: serde_json::Value = serde_json::from_str(&read(&atlas.join("package.json"))?)
        .map_err(|e| format!("package.json: {e}"))?;
    let source = Source {
        name: format!(
            "Natural Earth 1:110m countries, from world-atlas {}",
            package["version"].as_str().unwrap_or_default()
        ),
        date: String::new(),
        licence: "Natural Earth (naturalearthdata.com), public domain".into(),
    };
    let bytes = pack_map::pack(
        &read(&atlas.join("countries-110m.json"))?,
        &read(&names.join("codes.json"))?,
        source,
    )?;
    let path = out.join("map.bin");
    let bytes = write(&path, &bytes)?;
    let map = WorldMap::from_packed(&bytes)?;
    let points: usize = map.shapes.iter().flat_map(|s| &s.rings).map(Vec::len).sum();
    println!(
        "{}: {} bytes, {} countries, {points} points, {} x {} units",
        path.display(),
        bytes.len(),
        map.shapes.len(),
        map.width,
        map.height
    );
    Ok(())
}
