//! `s3logdrop geo IP...`: each address's country from the built-in table.

use super::args::GeoFormat;
use s3logdrop::geo::Countries;
use s3logdrop::ip::parse_ip;
use serde::Serialize;
use std::io::{self, Write};

/// One address's answer, in the order of its fields in the JSON line.
#[derive(Serialize)]
struct Answer<'a> {
    ip: String,
    country_code: Option<&'a str>,
    country: Option<&'a str>,
}

/// A table's source, as a JSON line.
#[derive(Serialize)]
struct SourceLine<'a> {
    table: &'a str,
    #[serde(flatten)]
    source: &'a s3logdrop::geo::Source,
}

pub fn geo(ips: &[String], format: GeoFormat, sources: bool) -> Result<(), String> {
    let t = Countries::builtin();
    let mut out = io::stdout().lock();
    let w = |out: &mut io::StdoutLock, line: String| {
        writeln!(out, "{line}").map_err(|e| format!("writing the answer: {e}"))
    };
    if sources {
        let s = t.source();
        let line = match format {
            GeoFormat::Jsonl => serde_json::to_string(&SourceLine {
                table: "country",
                source: s,
            })
            .expect("a source serialises"),
            GeoFormat::Table => format!(
                "country table: {} (data of {}); {}",
                s.name, s.date, s.licence
            ),
        };
        w(&mut out, line)?;
    }
    let mut bad = Vec::new();
    for ip in ips {
        let Some(key) = parse_ip(ip.as_bytes()) else {
            bad.push(ip.as_str());
            continue;
        };
        let c = t.lookup(key);
        let code = (c != 0).then(|| t.code(c));
        let name = (c != 0).then(|| t.name(c));
        let line = match format {
            GeoFormat::Jsonl => serde_json::to_string(&Answer {
                ip: key.to_addr().to_string(),
                country_code: code,
                country: name,
            })
            .expect("an answer serialises"),
            GeoFormat::Table => format!(
                "{:<40} {:<3} {}",
                key.to_addr(),
                code.unwrap_or("-"),
                name.unwrap_or("unknown")
            ),
        };
        w(&mut out, line)?;
    }
    match bad.as_slice() {
        [] => Ok(()),
        b => Err(format!("not an IP address: {}", b.join(", "))),
    }
}
