//! Packs the country table built into s3logdrop (`src/geo/countries.bin`) from the npm
//! packages `@ip-location-db/geo-whois-asn-country` and `i18n-iso-countries`; run by
//! `scripts/update-geo.sh`, which installs them.
//!
//! `cargo run --release --example pack_geo -- GEO_PACKAGE_DIR NAMES_PACKAGE_DIR OUT`

use s3logdrop::geo::{pack, Source};
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [geo, names, out] = &args[..] else {
        eprintln!("usage: pack_geo GEO_PACKAGE_DIR NAMES_PACKAGE_DIR OUT");
        std::process::exit(2);
    };
    if let Err(e) = run(Path::new(geo), Path::new(names), Path::new(out)) {
        eprintln!("pack_geo: {e}");
        std::process::exit(1);
    }
}

fn run(geo: &Path, names: &Path, out: &Path) -> Result<(), String> {
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let package: serde_json::Value = serde_json::from_str(&read(&geo.join("package.json"))?)
        .map_err(|e| format!("package.json: {e}"))?;
    let (name, version) = (
        package["name"].as_str().unwrap_or_default(),
        package["version"].as_str().unwrap_or_default(),
    );
    // Versions are 2.3.YYYYMMDDHH: the day the data was made.
    let stamp = version.rsplit('.').next().unwrap_or_default();
    let date = match stamp.len() {
        10 => format!("{}-{}-{}", &stamp[..4], &stamp[4..6], &stamp[6..8]),
        _ => return Err(format!("{name} {version}: no date in the version")),
    };
    let source = Source {
        name: format!("{name} {version}"),
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
    std::fs::write(out, &bytes).map_err(|e| format!("{}: {e}", out.display()))?;
    let t = s3logdrop::geo::Countries::from_packed(&bytes)?;
    let (v4, v6) = t.ranges();
    println!(
        "{}: {} bytes, {v4} IPv4 and {v6} IPv6 ranges",
        out.display(),
        bytes.len()
    );
    Ok(())
}
