//! `s3logdrop geo IP...`: each address's country, network, cloud provider and AWS region
//! from the built-in tables.

use super::args::GeoFormat;
use s3logdrop::geo::tally::Tables;
use s3logdrop::geo::Source;
use s3logdrop::ip::{parse_ip, IpKey};
use serde::Serialize;
use std::io::{self, Write};

/// One address's answer, in the order of its fields in the JSON line (`null` where a
/// table has no answer).
#[derive(Serialize)]
struct Answer<'a> {
    ip: String,
    country_code: Option<&'a str>,
    country: Option<&'a str>,
    asn: Option<u32>,
    network: Option<&'a str>,
    cloud: Option<&'a str>,
    aws_region: Option<&'a str>,
    aws_service: Option<&'a str>,
}

impl<'a> Answer<'a> {
    fn of(t: Tables<'a>, key: IpKey) -> Answer<'a> {
        let c = t.countries.lookup(key);
        let n = t.networks.lookup(key);
        let aws = t.networks.aws(key);
        Answer {
            ip: key.to_addr().to_string(),
            country_code: (c != 0).then(|| t.countries.code(c)),
            country: (c != 0).then(|| t.countries.name(c)),
            asn: t.networks.asn(n),
            network: t.networks.name(n),
            cloud: t.cloud.provider(t.cloud.lookup(key)),
            aws_region: t.networks.aws_region(aws),
            aws_service: t.networks.aws_service(aws),
        }
    }
}

/// A table's source, as a JSON line.
#[derive(Serialize)]
struct SourceLine<'a> {
    table: &'a str,
    #[serde(flatten)]
    source: &'a Source,
}

pub fn geo(ips: &[String], format: GeoFormat, sources: bool) -> Result<(), String> {
    let t = Tables::builtin();
    let mut out = io::stdout().lock();
    let w = |out: &mut io::StdoutLock, line: String| {
        writeln!(out, "{line}").map_err(|e| format!("writing the answer: {e}"))
    };
    if sources {
        let list = t.cloud.sources().last().expect("the cloud list's source");
        let tables = [
            ("country", t.countries.source()),
            ("network", t.networks.source()),
            ("aws", t.networks.aws_source()),
            ("cloud", list),
        ];
        for (table, s) in tables {
            let line = match format {
                GeoFormat::Jsonl => serde_json::to_string(&SourceLine { table, source: s })
                    .expect("a source serialises"),
                GeoFormat::Table if s.date.is_empty() => format!("{table} table: {}", s.name),
                GeoFormat::Table => format!(
                    "{table} table: {} (data of {}); {}",
                    s.name, s.date, s.licence
                ),
            };
            w(&mut out, line)?;
        }
        if matches!(format, GeoFormat::Table) {
            w(
                &mut out,
                format!(
                    "cloud and hosting providers: {}",
                    t.cloud.providers().join(", ")
                ),
            )?;
        }
    }
    let mut bad = Vec::new();
    for ip in ips {
        let Some(key) = parse_ip(ip.as_bytes()) else {
            bad.push(ip.as_str());
            continue;
        };
        let a = Answer::of(t, key);
        let line = match format {
            GeoFormat::Jsonl => serde_json::to_string(&a).expect("an answer serialises"),
            GeoFormat::Table => {
                let network = match (a.asn, a.network) {
                    (Some(n), Some(name)) => format!("AS{n} {name}"),
                    (Some(n), None) => format!("AS{n}"),
                    _ => "unknown network".into(),
                };
                let cloud = match (a.cloud, a.aws_region, a.aws_service) {
                    (_, Some(r), Some(s)) => format!("  [AWS {r} ({s})]"),
                    (Some(c), _, _) => format!("  [{c}]"),
                    _ => String::new(),
                };
                format!(
                    "{:<40} {:<3} {:<24} {network}{cloud}",
                    a.ip,
                    a.country_code.unwrap_or("-"),
                    a.country.unwrap_or("unknown"),
                )
            }
        };
        w(&mut out, line)?;
    }
    match bad.as_slice() {
        [] => Ok(()),
        b => Err(format!("not an IP address: {}", b.join(", "))),
    }
}
