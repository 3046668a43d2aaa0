//! Every line of the shared corpus (fixtures/corpus, copied with its attribution in
//! SOURCES.md) parses with the outcome DESIGN.md implies, and the field values that the
//! sources' own tests state agree with ours where the definitions agree.

mod common;
use common::*;
use s3logdrop::parse::{f, Reject};
use s3logdrop::settings::Settings;
use s3logdrop::time::rfc3339;
use serde_json::Value;
use std::collections::HashMap;

type Lines = HashMap<u64, Outcome>;

fn outcomes(file: &std::path::Path) -> Lines {
    let (_, rec) = run_files(&Settings::default(), &[(name(file), read(file))], 1 << 20);
    rec.lines.into_iter().map(|(_, n, o)| (n, o)).collect()
}

fn expected(file: &std::path::Path) -> Option<serde_json::Map<String, Value>> {
    let p = root()
        .join("fixtures/corpus/expected")
        .join(name(file).replace(".log", ".json"));
    let text = std::fs::read_to_string(p).ok()?;
    serde_json::from_str::<Value>(&text)
        .ok()?
        .as_object()
        .cloned()
}

type P<'a> = &'a ParsedLine;

fn parsed(lines: &Lines, n: u64) -> P<'_> {
    match lines.get(&n) {
        Some(Outcome::Parsed(p)) => p,
        other => panic!("line {n} is not parsed: {other:?}"),
    }
}

impl ParsedLine {
    fn s(&self, i: usize) -> Option<&str> {
        self.fields[i].as_deref()
    }
    /// The raw text as the source shows it: `-` for absent.
    fn raw(&self, i: usize) -> &str {
        self.s(i).unwrap_or("-")
    }
}

fn str_or_null(v: &Value) -> Option<&str> {
    v.as_str()
}

#[test]
fn all_lines_parse_except_the_four_that_must_be_rejected() {
    let mut parsed_total = 0;
    let mut rejected = Vec::new();
    let mut lines_total = 0;
    for file in corpus_logs() {
        let o = outcomes(&file);
        lines_total += o.len();
        for (n, out) in &o {
            match out {
                Outcome::Parsed(_) => parsed_total += 1,
                Outcome::Rejected(r) => rejected.push((name(&file), *n, *r)),
                Outcome::Blank => panic!("no blank line in the corpus"),
            }
        }
    }
    rejected.sort();
    assert_eq!(lines_total, 96);
    assert_eq!(parsed_total, 92);
    assert_eq!(
        rejected,
        vec![
            (
                "dandi-s3-log-extraction__tests.log".into(),
                19,
                Reject::Truncated
            ),
            (
                "dandi-s3-log-extraction__tests.log".into(),
                20,
                Reject::Truncated
            ),
            (
                "dandi-s3-log-extraction__tests.log".into(),
                21,
                Reject::Truncated
            ),
            (
                "opentelemetry-collector-contrib__awslogsencoding-s3.log".into(),
                6,
                Reject::Truncated
            ),
        ]
    );
}

fn check_file(
    stem: &str,
    mut check: impl FnMut(&Lines, u64, &serde_json::Map<String, Value>),
) -> usize {
    let file = root().join("fixtures/corpus").join(format!("{stem}.log"));
    let lines = outcomes(&file);
    let exp = expected(&file).expect("expectations");
    let mut checked = 0;
    for (k, v) in &exp {
        let Ok(n) = k.parse::<u64>() else { continue };
        check(&lines, n, v.as_object().unwrap());
        checked += 1;
    }
    assert!(checked > 0);
    checked
}

fn int_dash_zero(ours: Option<u64>, theirs: &Value) {
    assert_eq!(ours.unwrap_or(0), theirs.as_u64().unwrap());
}

#[test]
fn cocoonlife_typed_values() {
    check_file("cocoonlife-s3-log-parse__test_parser", |lines, n, e| {
        let p = parsed(lines, n);
        assert_eq!(p.s(f::BUCKET_OWNER), str_or_null(&e["bucket_owner"]));
        assert_eq!(p.s(f::BUCKET), str_or_null(&e["bucket"]));
        assert_eq!(
            rfc3339(p.time),
            e["timestamp"].as_str().unwrap().replace("+00:00", "Z")
        );
        assert_eq!(p.s(f::REMOTE_IP), str_or_null(&e["remote_ip"]));
        assert_eq!(p.s(f::REQUESTER), str_or_null(&e["requester"]));
        assert_eq!(p.s(f::REQUEST_ID), str_or_null(&e["request_id"]));
        assert_eq!(p.s(f::OPERATION), str_or_null(&e["operation"]));
        assert_eq!(p.s(f::KEY), str_or_null(&e["s3_key"]));
        assert_eq!(p.s(f::REQUEST_URI), str_or_null(&e["request_uri"]));
        assert_eq!(p.status.map(u64::from), e["status_code"].as_u64());
        assert_eq!(p.s(f::ERROR_CODE), str_or_null(&e["error_code"]));
        int_dash_zero(p.bytes_sent, &e["bytes_sent"]);
        int_dash_zero(p.object_size, &e["object_size"]);
        int_dash_zero(p.total_time, &e["total_time"]);
        int_dash_zero(p.turn_around_time, &e["turn_around_time"]);
        assert_eq!(p.s(f::REFERER), str_or_null(&e["referrer"]));
        assert_eq!(p.s(f::USER_AGENT), str_or_null(&e["user_agent"]));
        assert_eq!(p.s(17), str_or_null(&e["version_id"]));
    });
}

fn yymmdd(t: i64) -> String {
    let s = rfc3339(t);
    // 2020-01-01T05:06:35Z -> 200101050635
    format!(
        "{}{}{}{}{}{}",
        &s[2..4],
        &s[5..7],
        &s[8..10],
        &s[11..13],
        &s[14..16],
        &s[17..19]
    )
}

#[test]
fn dandi_extraction_kept_lines() {
    check_file("dandi-s3-log-extraction__tests", |lines, n, e| {
        if e["kept"] != Value::Bool(true) {
            // Not kept by dandi (not a 2xx GET, or a line it cannot read): we parse it or
            // reject it as SOURCES.md says, checked in the test above.
            return;
        }
        let p = parsed(lines, n);
        assert_eq!(p.raw(f::OPERATION), "REST.GET.OBJECT");
        assert!(p.status.is_some_and(|s| (200..300).contains(&s)));
        assert_eq!(p.s(f::KEY), str_or_null(&e["object_key"]));
        assert_eq!(p.s(f::REMOTE_IP), str_or_null(&e["ip"]));
        int_dash_zero(p.bytes_sent, &e["bytes_sent"]);
        assert_eq!(
            yymmdd(p.time),
            e["timestamp_yymmddhhmmss"].as_str().unwrap()
        );
        // dandi's "download" is status 200: the same as our candidate definition.
        assert_eq!(
            p.status == Some(200),
            e["download"].as_u64() == Some(1),
            "line {n}"
        );
    });
}

#[test]
fn dandi_parser_kept_lines() {
    check_file("dandi-s3-log-parser__tests", |lines, n, e| {
        if e["kept"] != Value::Bool(true) {
            return;
        }
        let p = parsed(lines, n);
        assert_eq!(
            rfc3339(p.time),
            format!("{}Z", e["timestamp"].as_str().unwrap())
        );
        assert_eq!(p.s(f::REMOTE_IP), str_or_null(&e["ip_address"]));
        int_dash_zero(p.bytes_sent, &e["bytes_sent"]);
        let key = p.raw(f::KEY);
        let reduced = if key.starts_with("zarr/") {
            String::from_utf8(s3logdrop::summary::key_prefix(key.as_bytes(), 2).to_vec()).unwrap()
        } else {
            key.to_string()
        };
        assert_eq!(reduced, e["object_key_reduced"].as_str().unwrap());
    });
}

#[test]
fn githubjianx_raw_fields() {
    let names: Vec<String> = {
        let file = root().join("fixtures/corpus/githubjianx-aws-s3-log-analyzer__sample_logs.log");
        let meta = expected(&file).unwrap()["_meta"]["fields"].clone();
        meta.as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names.len(), 26);
    check_file(
        "githubjianx-aws-s3-log-analyzer__sample_logs",
        |lines, n, e| {
            let p = parsed(lines, n);
            for (i, name) in names.iter().enumerate() {
                let theirs = e[name.as_str()].as_str().unwrap();
                let ours = p.raw(i);
                assert_eq!(ours, theirs, "line {n} field {name}");
            }
        },
    );
}

#[test]
fn go_grok_captures() {
    check_file("go-grok__test", |lines, n, e| {
        let p = parsed(lines, n);
        assert_eq!(p.raw(f::TIME), e["HTTPDATE:timestamp"].as_str().unwrap());
        assert_eq!(
            format!("\"{}\"", p.raw(f::USER_AGENT)),
            e["QS:agent"].as_str().unwrap()
        );
        let bytes = e["INT:bytes"].as_str().unwrap();
        assert_eq!(
            p.bytes_sent.map(|b| b.to_string()).unwrap_or_default(),
            bytes
        );
        if let Some(size) = e.get("INT:object_size") {
            assert_eq!(p.object_size.unwrap().to_string(), size.as_str().unwrap());
        }
    });
}

#[test]
fn lnav_captures() {
    check_file("lnav__s3_log-format-samples", |lines, n, e| {
        let p = parsed(lines, n);
        for (theirs, i) in [
            ("owner", f::BUCKET_OWNER),
            ("bucket", f::BUCKET),
            ("timestamp", f::TIME),
            ("c_ip", f::REMOTE_IP),
            ("cs_userid", f::REQUESTER),
            ("req_id", f::REQUEST_ID),
            ("op", f::OPERATION),
            ("cs_key", f::KEY),
            ("sc_status", f::HTTP_STATUS),
            ("sc_error_code", f::ERROR_CODE),
            ("sc_bytes", f::BYTES_SENT),
            ("obj_size", f::OBJECT_SIZE),
            ("total_time", f::TOTAL_TIME),
            ("turn_around_time", f::TURN_AROUND_TIME),
            ("cs_referer", f::REFERER),
            ("cs_user_agent", f::USER_AGENT),
        ] {
            if let Some(v) = e.get(theirs).and_then(|v| v.as_str()) {
                assert_eq!(p.raw(i), v, "line {n} {theirs}");
            }
        }
        let uri = p.raw(f::REQUEST_URI);
        let method = e["cs_method"].as_str().unwrap();
        let stem = e["cs_uri_stem"].as_str().unwrap();
        assert!(uri.starts_with(&format!("{method} {stem}")), "{uri}");
    });
    // The -0500 line is stored in UTC.
    let file = root().join("fixtures/corpus/lnav__s3_log-format-samples.log");
    assert_eq!(
        rfc3339(parsed(&outcomes(&file), 1).time),
        "2012-02-10T21:42:07Z"
    );
}

#[test]
fn logstash_captures() {
    check_file("logstash-patterns-core__aws_spec", |lines, n, e| {
        let p = parsed(lines, n);
        for (theirs, i) in [
            ("owner", f::BUCKET_OWNER),
            ("bucket", f::BUCKET),
            ("timestamp", f::TIME),
            ("clientip", f::REMOTE_IP),
            ("requester", f::REQUESTER),
            ("request_id", f::REQUEST_ID),
            ("operation", f::OPERATION),
            ("key", f::KEY),
        ] {
            if let Some(v) = e.get(theirs).and_then(|v| v.as_str()) {
                assert_eq!(p.raw(i), v, "line {n} {theirs}");
            }
        }
        for (theirs, ours) in [
            ("response", p.status.map(u64::from)),
            ("bytes", p.bytes_sent),
            ("object_size", p.object_size),
            ("request_time_ms", p.total_time),
            ("turnaround_time_ms", p.turn_around_time),
        ] {
            if let Some(v) = e.get(theirs) {
                assert_eq!(ours, v.as_u64(), "line {n} {theirs}");
            }
        }
        for (theirs, i) in [("referrer", f::REFERER), ("agent", f::USER_AGENT)] {
            if let Some(v) = e.get(theirs).and_then(|v| v.as_str()) {
                assert_eq!(format!("\"{}\"", p.raw(i)), v, "line {n} {theirs}");
            }
        }
        if let Some(absent) = e.get("absent").and_then(|a| a.as_array()) {
            for a in absent {
                let i = match a.as_str().unwrap() {
                    "error_code" => f::ERROR_CODE,
                    "object_size" => f::OBJECT_SIZE,
                    "turnaround_time_ms" => f::TURN_AROUND_TIME,
                    "version_id" => 17,
                    other => panic!("unknown absent field {other}"),
                };
                assert_eq!(p.s(i), None, "line {n} {a}");
            }
        }
        if let (Some(verb), Some(req)) = (e.get("verb"), e.get("request")) {
            assert!(p.raw(f::REQUEST_URI).starts_with(&format!(
                "{} {}",
                verb.as_str().unwrap(),
                req.as_str().unwrap()
            )));
        }
    });
}

#[test]
fn opentelemetry_values() {
    check_file(
        "opentelemetry-collector-contrib__awslogsencoding-s3",
        |lines, n, e| {
            if e.contains_key("error") {
                assert_eq!(lines.get(&n), Some(&Outcome::Rejected(Reject::Truncated)));
                return;
            }
            let p = parsed(lines, n);
            for (theirs, i) in [
                ("source.address", f::REMOTE_IP),
                ("user.id", f::REQUESTER),
                ("aws.request_id", f::REQUEST_ID),
                ("rpc.method", f::OPERATION),
                ("user_agent.original", f::USER_AGENT),
                ("aws.extended_request_id", 18),
                ("aws.signature.version", 19),
                ("tls.cipher", 20),
                ("aws.s3.auth_type", 21),
                ("http.request.header.host", 22),
                ("aws.s3.access_point.arn", 24),
                ("aws.s3.source_region", 26),
            ] {
                // The sources omit '-' fields.
                assert_eq!(
                    p.s(i),
                    e.get(theirs).and_then(|v| v.as_str()),
                    "line {n} {theirs}"
                );
            }
            assert_eq!(
                p.status.map(u64::from),
                e["http.response.status_code"].as_u64()
            );
            assert_eq!(
                p.bytes_sent,
                e.get("http.response.body.size").and_then(|v| v.as_u64())
            );
            assert_eq!(p.total_time, e.get("duration").and_then(|v| v.as_u64()));
            assert_eq!(
                p.s(25) == Some("Yes"),
                e.get("aws.s3.acl_required") == Some(&Value::Bool(true))
            );
            let nanos: i64 = e["timeUnixNano"].as_str().unwrap().parse().unwrap();
            assert_eq!(p.time * 1_000_000_000, nanos);
            let r = &e["resource"];
            assert_eq!(p.s(f::BUCKET), r["aws.s3.bucket"].as_str());
            assert_eq!(p.s(f::BUCKET_OWNER), r["aws.s3.owner"].as_str());
        },
    );
}

#[test]
fn request_log_analyzer_values() {
    check_file("request-log-analyzer__amazon_s3", |lines, n, e| {
        let p = parsed(lines, n);
        for (theirs, i) in [
            ("bucket_owner", f::BUCKET_OWNER),
            ("bucket", f::BUCKET),
            ("remote_ip", f::REMOTE_IP),
            ("key", f::KEY),
            ("operation", f::OPERATION),
            ("requester", f::REQUESTER),
            ("request_id", f::REQUEST_ID),
            ("request_uri", f::REQUEST_URI),
            ("error_code", f::ERROR_CODE),
            ("user_agent", f::USER_AGENT),
            ("referer", f::REFERER),
        ] {
            if let Some(v) = e.get(theirs) {
                let ours = if theirs == "requester" {
                    Some(p.raw(i))
                } else {
                    p.s(i)
                };
                assert_eq!(ours, v.as_str(), "line {n} {theirs}");
            }
        }
        let ts = e["timestamp"].as_u64().unwrap().to_string();
        let s = rfc3339(p.time);
        assert_eq!(
            format!(
                "{}{}{}{}{}{}",
                &s[0..4],
                &s[5..7],
                &s[8..10],
                &s[11..13],
                &s[14..16],
                &s[17..19]
            ),
            ts
        );
        assert_eq!(p.status.map(u64::from), e["http_status"].as_u64());
        int_dash_zero(p.bytes_sent, &e["bytes_sent"]);
        int_dash_zero(p.object_size, &e["object_size"]);
        let ms = |v: &Value| (v.as_f64().unwrap() * 1000.0).round() as u64;
        assert_eq!(p.total_time.unwrap_or(0), ms(&e["total_time"]));
        assert_eq!(p.turn_around_time.unwrap_or(0), ms(&e["turnaround_time"]));
    });
    let mut parser = s3logdrop::Parser::new();
    assert!(parser.parse(b"nonsense").is_err());
}

#[test]
fn aggregate_expectations() {
    // webreadr: 6 rows of 18 columns.
    let file = root().join("fixtures/corpus/webreadr__s3.log");
    let o = outcomes(&file);
    assert_eq!(o.len(), 6);
    for n in 1..=6 {
        let p = parsed(&o, n);
        assert!(p.fields[17].is_none() && p.fields[18].is_none());
    }
    // joswr1ght: 5 lines with the S3Console/0.4 user agent; one key that is not '-'.
    let file = root().join("fixtures/corpus/joswr1ght-s3logparse__test.log");
    let o = outcomes(&file);
    let ua = (1..=o.len() as u64)
        .filter(|&n| parsed(&o, n).s(f::USER_AGENT) == Some("S3Console/0.4"))
        .count();
    assert_eq!(ua, 5);
    let keys: Vec<_> = (1..=o.len() as u64)
        .filter_map(|n| parsed(&o, n).s(f::KEY).map(str::to_string))
        .collect();
    assert_eq!(keys, ["s3-dg.pdf"]);
    // toptalkers: 765 bytes from 192.0.2.3 (the bytes_sent of the GET lines).
    let bytes: u64 = (1..=o.len() as u64)
        .map(|n| parsed(&o, n))
        .filter(|p| p.raw(f::REQUEST_URI).starts_with("GET"))
        .map(|p| p.bytes_sent.unwrap_or(0))
        .sum();
    assert_eq!(bytes, 765);
}

#[test]
fn the_lab_regex_would_miss_half_of_these_downloads() {
    // DESIGN.md: 29 status-200 REST.GET.OBJECT lines in the corpus; we find all of them.
    let mut files = Vec::new();
    for file in corpus_logs() {
        files.push((name(&file), read(&file)));
    }
    let (summary, rec) = run_files(&Settings::default(), &files, 1 << 20);
    assert_eq!(rec.candidates.len(), 29);
    assert_eq!(summary.candidates, 29);
    // Two have no bytes_sent (a '-' 200), one is a robot ("aranhabot").
    assert_eq!(summary.removed.missing_size, 2);
    assert_eq!(summary.removed.bot, 1);
    assert_eq!(summary.downloads, 26);
}
