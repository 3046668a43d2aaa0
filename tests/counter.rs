//! COUNTER mode (CoPRD 1.0.1, `src/counter.rs`) against a naive reference that sorts
//! every action and applies each rule literally; CoPRD's own examples as named cases;
//! results independent of how the input is split, chunked and ordered; the DSR export
//! valid against the schema DataCite validates usage reports with.

mod common;

use proptest::prelude::*;
use s3logdrop::counter::{Access, Class, Classifier, CounterRow, Metrics};
use s3logdrop::geo::Countries;
use s3logdrop::ip::IpKey;
use s3logdrop::outputs::{self, DsrInfo};
use s3logdrop::parse::Parser;
use s3logdrop::report::Report;
use s3logdrop::settings::{Compiled, Settings};
use s3logdrop::summary::Summary;
use s3logdrop::time::{civil_from_days, days_from_civil, UnixSeconds};
use std::collections::{BTreeMap, BTreeSet};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A time as UTC civil fields.
fn at(y: i64, mo: u32, d: u32, h: i64, mi: i64, s: i64) -> UnixSeconds {
    days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s
}

/// One S3 server access log line.
fn line(
    t: UnixSeconds,
    ip: &str,
    op: &str,
    key: &str,
    status: u16,
    bytes: u64,
    ua: &str,
) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    let sent = if bytes == 0 && op.contains("HEAD") {
        "-".to_string()
    } else {
        bytes.to_string()
    };
    format!(
        "79a5 bucket [{d:02}/{}/{y}:{:02}:{:02}:{:02} +0000] {ip} - REQ{t} {op} {key} \"GET /{key} HTTP/1.1\" {status} - {sent} 1000 10 9 \"-\" \"{ua}\" - hostid= SigV4 TLS_AES_128_GCM_SHA256 AuthHeader bucket.s3.amazonaws.com TLSv1.3 - -\n",
        MONTHS[m as usize - 1],
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

fn settings() -> Settings {
    Settings {
        counter: true,
        ..Settings::default()
    }
}

/// The summary of some files, each fed in chunks of `chunk` bytes through one session.
fn run(settings: &Settings, files: &[(String, Vec<u8>)], chunk: usize) -> Summary {
    common::run_files(settings, files, chunk).0
}

fn rows(s: &Summary) -> Vec<CounterRow> {
    Report::new(s).counter.expect("COUNTER was on").rows
}

/// The rows of one file of lines.
fn rows_of(lines: &[String]) -> Vec<CounterRow> {
    let text: String = lines.concat();
    rows(&run(
        &settings(),
        &[("logs/a".into(), text.into_bytes())],
        1 << 16,
    ))
}

// ---------------------------------------------------------------------------------
// The naive reference: every action in a list, sorted, each rule applied as CoPRD
// states it.

struct Action {
    ip: IpKey,
    ua: String,
    access: Access,
    key: String,
    dataset: (String, String),
    get: bool,
    time: UnixSeconds,
    bytes: u64,
}

/// A row's dataset, DOI, month and access method.
type NaiveKey = (String, String, String, Access);

fn naive(settings: &Settings, files: &[(String, Vec<u8>)]) -> Vec<CounterRow> {
    let compiled = Compiled::new(settings).unwrap();
    let mut classes = Classifier::new();
    let mut parser = Parser::new();
    let mut actions = Vec::new();
    for (_, bytes) in files {
        for l in bytes.split(|&c| c == b'\n') {
            let Ok(rec) = parser.parse(l) else { continue };
            // §10.1: GET and HEAD of an object, 200 or 304.
            let op = rec.operation();
            let get = op == b"REST.GET.OBJECT" || op == b"WEBSITE.GET.OBJECT";
            let head = op == b"REST.HEAD.OBJECT" || op == b"WEBSITE.HEAD.OBJECT";
            if !(get || head) || !matches!(rec.http_status, Some(200 | 304)) {
                continue;
            }
            if rec.remote_ip.is_none() || compiled.common_removal(&rec).is_some() {
                continue;
            }
            let ua = rec.user_agent().unwrap_or(b"-");
            // §10.5/§10.6: machines first, then robots.
            let access = match classes.class(ua) {
                Class::Robot => continue,
                Class::Machine => Access::Machine,
                Class::Regular => Access::Regular,
            };
            let key = rec.key().unwrap_or(b"-");
            actions.push(Action {
                ip: rec.remote_ip.unwrap(),
                ua: String::from_utf8_lossy(ua).into_owned(),
                access,
                key: String::from_utf8_lossy(key).into_owned(),
                dataset: compiled.datasets.of(key),
                get,
                time: rec.time,
                bytes: rec.bytes_sent.unwrap_or(0),
            });
        }
    }
    let countries = Countries::builtin();
    // Each kind on its own: investigations are every action, requests the GETs.
    let mut out: BTreeMap<NaiveKey, (Metrics, BTreeMap<String, Metrics>)> = BTreeMap::new();
    for requests in [false, true] {
        let mut list: Vec<&Action> = actions.iter().filter(|a| !requests || a.get).collect();
        // §10.2: the session is ip|user agent|date|hour; within it, the same URL.
        let session = |a: &Action| (a.ip, a.ua.clone(), a.time.div_euclid(3600));
        list.sort_by(|a, b| {
            (session(a), &a.key, a.time, a.bytes).cmp(&(session(b), &b.key, b.time, b.bytes))
        });
        let mut kept: Vec<&Action> = Vec::new();
        for (i, a) in list.iter().enumerate() {
            // "When two actions are made for the same URL within 30 seconds the first
            // request MUST be removed and the second retained."
            let next = list.get(i + 1);
            let double = next.is_some_and(|n| {
                session(n) == session(a) && n.key == a.key && n.time - a.time <= 30
            });
            if !double {
                kept.push(a);
            }
        }
        // §10.3: one unique action per session and dataset.
        let mut seen = BTreeSet::new();
        for a in kept {
            let (y, m, _) = civil_from_days(a.time.div_euclid(86_400));
            let month = format!("{y:04}-{m:02}");
            let code = match countries.lookup(a.ip) {
                0 => "Unknown".to_string(),
                id => countries.code(id).to_string(),
            };
            let unique = seen.insert((session(a), a.dataset.0.clone()));
            let row = out
                .entry((a.dataset.0.clone(), a.dataset.1.clone(), month, a.access))
                .or_default();
            for m in [&mut row.0, row.1.entry(code).or_default()] {
                if requests {
                    m.total_requests += 1;
                    m.unique_requests += u64::from(unique);
                    m.volume += a.bytes;
                } else {
                    m.total_investigations += 1;
                    m.unique_investigations += u64::from(unique);
                }
            }
        }
    }
    out.into_iter()
        .map(
            |((dataset, doi, month, access), (metrics, countries))| CounterRow {
                dataset,
                doi,
                month,
                access,
                metrics,
                countries,
            },
        )
        .collect()
}

// ---------------------------------------------------------------------------------
// CoPRD's own examples (§10.2, §10.3), each a named case.

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

fn get(t: UnixSeconds, key: &str, bytes: u64) -> String {
    line(
        t,
        "192.1.1.168",
        "REST.GET.OBJECT",
        key,
        200,
        bytes,
        FIREFOX,
    )
}

fn one(rows: &[CounterRow]) -> Metrics {
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows[0].metrics
}

#[test]
fn coprd_clicks_at_10_01_00_and_10_01_29_are_one_action() {
    let t = at(2017, 6, 15, 10, 1, 0);
    let m = one(&rows_of(&[
        get(t, "ds/a.csv", 100),
        get(t + 29, "ds/a.csv", 200),
    ]));
    assert_eq!((m.total_requests, m.total_investigations), (1, 1));
    // "the first request MUST be removed and the second retained": its bytes.
    assert_eq!(m.volume, 200);
}

#[test]
fn coprd_clicks_at_10_01_00_and_10_01_35_are_two_actions() {
    let t = at(2017, 6, 15, 10, 1, 0);
    let m = one(&rows_of(&[
        get(t, "ds/a.csv", 100),
        get(t + 35, "ds/a.csv", 200),
    ]));
    assert_eq!((m.total_requests, m.total_investigations), (2, 2));
    assert_eq!(m.volume, 300);
    // Both in one session: one unique request of the dataset.
    assert_eq!(m.unique_requests, 1);
}

#[test]
fn coprd_30_seconds_exactly_is_still_a_double_click() {
    let t = at(2017, 6, 15, 10, 1, 0);
    let m = one(&rows_of(&[
        get(t, "ds/a.csv", 1),
        get(t + 30, "ds/a.csv", 2),
        get(t + 61, "ds/a.csv", 4),
    ]));
    assert_eq!((m.total_requests, m.volume), (2, 6));
}

#[test]
fn coprd_additional_clicks_between_remove_the_first_each_time() {
    // 0, 20, 40, 60: each within 30 s of the one before; only the last is kept.
    let t = at(2017, 6, 15, 10, 1, 0);
    let lines: Vec<String> = (0..4)
        .map(|i| get(t + 20 * i, "ds/a.csv", 10 + i as u64))
        .collect();
    let m = one(&rows_of(&lines));
    assert_eq!((m.total_requests, m.volume), (1, 13));
}

#[test]
fn coprd_session_192_1_1_168_mozilla_2017_06_15_13() {
    // The surrogate session 192.1.1.168|Mozilla/5.0|2017-06-15|13: two files of one
    // dataset in it are one unique request; 14:05 is another session.
    let t = at(2017, 6, 15, 13, 35, 0);
    let m = one(&rows_of(&[
        get(t, "ds/a.csv", 1),
        get(t + 60, "ds/b.csv", 1),
        get(at(2017, 6, 15, 14, 5, 0), "ds/a.csv", 1),
    ]));
    assert_eq!((m.total_requests, m.unique_requests), (3, 2));
    assert_eq!((m.total_investigations, m.unique_investigations), (3, 2));
}

#[test]
fn double_clicks_stay_within_the_hour_session() {
    // 13:59:59 and 14:00:00 are in two sessions (§10.2: one-hour slices are sessions).
    let t = at(2017, 6, 15, 13, 59, 59);
    let m = one(&rows_of(&[
        get(t, "ds/a.csv", 1),
        get(t + 1, "ds/a.csv", 1),
    ]));
    assert_eq!((m.total_requests, m.unique_requests), (2, 2));
}

#[test]
fn each_action_counts_in_the_month_of_its_own_time() {
    let t = at(2017, 6, 30, 23, 59, 50);
    let r = rows_of(&[get(t, "ds/a.csv", 1), get(t + 20, "ds/a.csv", 1)]);
    let months: Vec<&str> = r.iter().map(|r| r.month.as_str()).collect();
    assert_eq!(months, ["2017-06", "2017-07"]);
}

#[test]
fn heads_are_investigations_and_gets_are_both() {
    let t = at(2024, 3, 1, 9, 0, 0);
    let ip = "192.1.1.168";
    let m = one(&rows_of(&[
        line(t, ip, "REST.HEAD.OBJECT", "ds/a.csv", 200, 0, FIREFOX),
        line(t + 100, ip, "REST.GET.OBJECT", "ds/a.csv", 200, 50, FIREFOX),
        // A HEAD 10 s after the GET: a double-click of the investigation, not of the
        // request (§10.2 applies to each metric type).
        line(t + 110, ip, "REST.HEAD.OBJECT", "ds/a.csv", 200, 0, FIREFOX),
        line(
            t + 500,
            ip,
            "WEBSITE.GET.OBJECT",
            "ds/b.csv",
            304,
            0,
            FIREFOX,
        ),
        // Not counted: 206, 404, PUT.
        line(t + 900, ip, "REST.GET.OBJECT", "ds/c.csv", 206, 9, FIREFOX),
        line(t + 950, ip, "REST.GET.OBJECT", "ds/d.csv", 404, 9, FIREFOX),
        line(t + 990, ip, "REST.PUT.OBJECT", "ds/e.csv", 200, 9, FIREFOX),
    ]));
    assert_eq!((m.total_investigations, m.total_requests), (3, 2));
    assert_eq!((m.unique_investigations, m.unique_requests), (1, 1));
    assert_eq!(m.volume, 50);
}

#[test]
fn machines_are_kept_apart_and_robots_removed() {
    let t = at(2024, 3, 1, 9, 0, 0);
    let ip = "192.1.1.168";
    let s = run(
        &settings(),
        &[(
            "logs/a".into(),
            [
                line(t, ip, "REST.GET.OBJECT", "ds/a.csv", 200, 1, "curl/8.5.0"),
                line(
                    t,
                    ip,
                    "REST.GET.OBJECT",
                    "ds/a.csv",
                    200,
                    1,
                    "python-requests/2.31.0",
                ),
                line(
                    t,
                    ip,
                    "REST.GET.OBJECT",
                    "ds/a.csv",
                    200,
                    1,
                    "Googlebot/2.1 (+http://www.google.com/bot.html)",
                ),
                line(t, ip, "REST.GET.OBJECT", "ds/a.csv", 200, 1, "-"),
                line(t, ip, "REST.GET.OBJECT", "ds/a.csv", 200, 1, FIREFOX),
            ]
            .concat()
            .into_bytes(),
        )],
        1 << 16,
    );
    let report = Report::new(&s).counter.unwrap();
    assert_eq!((report.actions, report.robots, report.filtered), (5, 2, 0));
    let by: BTreeMap<Access, u64> = report
        .rows
        .iter()
        .map(|r| (r.access, r.metrics.total_requests))
        .collect();
    // curl and python are two users (same IP, two user agents): two machine requests.
    assert_eq!(by[&Access::Machine], 2);
    assert_eq!(by[&Access::Regular], 1);
}

#[test]
fn off_by_default_and_nothing_remembered() {
    let t = at(2024, 3, 1, 9, 0, 0);
    let text = get(t, "ds/a.csv", 1);
    let s = run(
        &Settings::default(),
        &[("logs/a".into(), text.into_bytes())],
        1 << 16,
    );
    assert!(s.counter.is_none());
    assert!(Report::new(&s).counter.is_none());
}

// ---------------------------------------------------------------------------------
// Generated logs dense in double-clicks, hour and month boundaries, robots, machines,
// statuses and kinds; split into parts, chunked and ordered at random.

const IPS: [&str; 4] = ["8.8.8.8", "81.2.69.142", "2001:db8::1", "1.0.16.1"];
const AGENTS: [&str; 5] = [
    FIREFOX,
    "curl/8.5.0",
    "python-requests/2.31.0",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "-",
];
const KEYS: [&str; 6] = [
    "a/x/1.nii",
    "a/x/2.nii",
    "a/y/1.csv",
    "b/z/1.zarr",
    "b/z/2.zarr",
    "top.txt",
];
const OPS: [&str; 5] = [
    "REST.GET.OBJECT",
    "REST.HEAD.OBJECT",
    "WEBSITE.GET.OBJECT",
    "WEBSITE.HEAD.OBJECT",
    "REST.PUT.OBJECT",
];
const STATUSES: [u16; 4] = [200, 304, 206, 404];

fn action_line() -> impl Strategy<Value = String> {
    // Times around 2024-01-31 22:00 to 2024-02-01 01:00, most near an hour's end.
    let base = at(2024, 1, 31, 22, 0, 0);
    let time = prop_oneof![
        (0i64..3, -45i64..45).prop_map(move |(h, d)| base + 3600 * (h + 1) + d),
        (0i64..3 * 3600).prop_map(move |s| base + s),
        (0i64..3, 0i64..90).prop_map(move |(h, s)| base + 3600 * h + 1800 + s),
    ];
    (
        time,
        0..IPS.len(),
        0..AGENTS.len(),
        0..KEYS.len(),
        0..OPS.len(),
        0..STATUSES.len(),
        0u64..1000,
    )
        .prop_map(|(t, ip, ua, key, op, st, bytes)| {
            let op = if st >= 2 && op < 4 { 0 } else { op };
            line(
                t,
                IPS[ip],
                OPS[op],
                KEYS[key],
                STATUSES[st],
                bytes,
                AGENTS[ua],
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// The real count equals the naive one, and the summary of random parts merged in
    /// random order equals the whole's, whatever the chunk size.
    #[test]
    fn real_equals_naive_across_splits(
        lines in prop::collection::vec(action_line(), 1..160),
        parts in 1usize..5,
        assign in prop::collection::vec(0usize..5, 160),
        order in prop::collection::vec(0usize..1000, 160),
        chunk in 1usize..400,
        mapping in any::<bool>(),
    ) {
        let mut settings = settings();
        if mapping {
            settings.datasets = s3logdrop::datasets::parse_mapping(
                "a/x/,Brain,10.1234/brain\nb/,Zarr,10.1234/zarr\n").unwrap();
        }
        let whole: Vec<(String, Vec<u8>)> = vec![("logs/all".into(), lines.concat().into_bytes())];
        let expected = naive(&settings, &whole);
        let one = run(&settings, &whole, 1 << 16);
        prop_assert_eq!(&rows(&one), &expected);
        // Parts: lines dealt out to `parts` files, each file's lines shuffled.
        let mut files: Vec<Vec<(usize, &String)>> = vec![Vec::new(); parts];
        for (i, l) in lines.iter().enumerate() {
            files[assign[i] % parts].push((order[i], l));
        }
        let mut merged = Summary::default();
        let mut sessions: Vec<Summary> = files
            .iter_mut()
            .enumerate()
            .map(|(i, f)| {
                f.sort();
                let text: String = f.iter().map(|(_, l)| l.as_str()).collect();
                run(&settings, &[(format!("logs/{i}"), text.into_bytes())], chunk)
            })
            .collect();
        sessions.rotate_left(order[0] % parts);
        for s in sessions {
            // Through the bytes the workers post, as the page merges them.
            merged.merge(Summary::from_bytes(&s.to_bytes()).unwrap(), 5);
        }
        merged.normalize();
        prop_assert_eq!(&rows(&merged), &expected);
        // What is remembered does not depend on the split either.
        let (a, b) = (merged.counter.as_ref().unwrap(), one.counter.as_ref().unwrap());
        prop_assert_eq!(a.size(), b.size());
        prop_assert_eq!((a.actions, a.robots, a.filtered), (b.actions, b.robots, b.filtered));
    }
}

#[test]
fn naive_reference_finds_double_clicks() {
    // The reference is not vacuous: on lines built to double-click it counts fewer
    // actions than lines.
    let t = at(2024, 1, 31, 22, 0, 0);
    let lines: Vec<String> = (0..10).map(|i| get(t + 10 * i, "ds/a.csv", 1)).collect();
    let rows = naive(&settings(), &[("a".into(), lines.concat().into_bytes())]);
    assert_eq!(rows[0].metrics.total_requests, 1);
}

// ---------------------------------------------------------------------------------
// The DSR export.

fn schema_validates(doc: &serde_json::Value, pointer: &str) -> Result<(), String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sushi_usage_schema.json");
    let schema: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource("file:///sushi_usage_schema.json", schema)
        .unwrap();
    let id = compiler
        .compile(
            &format!("file:///sushi_usage_schema.json{pointer}"),
            &mut schemas,
        )
        .map_err(|e| e.to_string())?;
    schemas.validate(doc, id).map_err(|e| format!("{e:#}"))
}

/// What DataCite validates: the header's fields beside `report-datasets`.
fn as_datacite_validates(report: &serde_json::Value) -> serde_json::Value {
    let mut flat = report["report-header"].as_object().unwrap().clone();
    flat.insert("report-datasets".into(), report["report-datasets"].clone());
    serde_json::Value::Object(flat)
}

#[test]
fn counter_report_json_validates_against_datacites_schema() {
    let files = common::generated_logs(7, 4, 3000, 120);
    let mut settings = settings();
    settings.datasets = s3logdrop::datasets::parse_mapping(
        "dataset000/,First,10.1234/first\ndataset001/,Second,10.1234/second\n",
    )
    .unwrap();
    let s = run(&settings, &files, 1 << 16);
    let report = Report::new(&s);
    let info = DsrInfo {
        platform: "Test archive".into(),
        publisher: "Test lab".into(),
        publisher_id: "test.lab".into(),
        created: "2026-12-07".into(),
    };
    let mut bytes = Vec::new();
    outputs::write_counter("counter_report.json", &report, &info, &mut bytes).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(json["report-header"]["report-id"], "DSR");
    assert_eq!(json["report-header"]["release"], "rd1");
    let datasets = json["report-datasets"].as_array().unwrap();
    // Only the datasets with a DOI, each once.
    let dois: Vec<&str> = datasets
        .iter()
        .map(|d| d["dataset-id"][0]["value"].as_str().unwrap())
        .collect();
    assert_eq!(dois, ["10.1234/first", "10.1234/second"]);
    schema_validates(&as_datacite_validates(&json), "").unwrap();
    schema_validates(&json, "#/definitions/counter_dataset_report").unwrap();
    // The instances add up to the CSV's numbers.
    let c = report.counter.as_ref().unwrap();
    let total: u64 = c
        .rows
        .iter()
        .filter(|r| !r.doi.is_empty())
        .map(|r| r.metrics.total_requests)
        .sum();
    let in_json: u64 = datasets
        .iter()
        .flat_map(|d| d["performance"].as_array().unwrap())
        .flat_map(|p| p["instance"].as_array().unwrap())
        .filter(|i| i["metric-type"] == "total-dataset-requests")
        .map(|i| i["count"].as_u64().unwrap())
        .sum();
    assert!(total > 0);
    assert_eq!(in_json, total);
    // The schema is not vacuous: a wrong access method and a missing count fail.
    let mut bad = as_datacite_validates(&json);
    bad["report-datasets"][0]["performance"][0]["instance"][0]["access-method"] = "robot".into();
    assert!(schema_validates(&bad, "").is_err());
    let mut bad = as_datacite_validates(&json);
    bad["report-datasets"][0]["performance"][0]["instance"][0]
        .as_object_mut()
        .unwrap()
        .remove("count");
    assert!(schema_validates(&bad, "").is_err());
}

#[test]
fn without_dois_every_dataset_is_named_and_the_header_says_why() {
    let t = at(2024, 3, 10, 9, 0, 0);
    let text = [get(t, "ds/a.csv", 1), get(t, "other/b.csv", 1)].concat();
    let s = run(
        &settings(),
        &[("logs/a".into(), text.into_bytes())],
        1 << 16,
    );
    let report = Report::new(&s);
    let json = outputs::counter_report(
        report.counter.as_ref().unwrap(),
        report.coverage.as_ref(),
        &DsrInfo::default(),
    );
    let ids: Vec<&str> = json["report-datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["dataset-id"][0]["type"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["proprietary", "proprietary"]);
    let messages: Vec<&str> = json["report-header"]["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    // One day of March: partial data, and no DOI.
    assert_eq!(messages, ["partial data returned", "no dataset has a DOI"]);
    assert_eq!(
        json["report-header"]["reporting-period"]["begin-date"],
        "2024-03-01"
    );
    assert_eq!(
        json["report-header"]["reporting-period"]["end-date"],
        "2024-03-31"
    );
    schema_validates(&as_datacite_validates(&json), "").unwrap();
}

#[test]
fn the_csv_has_the_issues_columns_and_is_spreadsheet_safe() {
    let t = at(2024, 3, 10, 9, 0, 0);
    let text = [
        get(t, "=cmd/a.csv", 7),
        line(
            t,
            "8.8.8.8",
            "REST.GET.OBJECT",
            "=cmd/a.csv",
            200,
            5,
            "curl/8.5.0",
        ),
    ]
    .concat();
    let s = run(
        &settings(),
        &[("logs/a".into(), text.into_bytes())],
        1 << 16,
    );
    let mut out = Vec::new();
    outputs::write_counter(
        "counter_metrics.csv",
        &Report::new(&s),
        &DsrInfo::default(),
        &mut out,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "dataset,doi,month,access_method,total_dataset_investigations,unique_dataset_investigations,total_dataset_requests,unique_dataset_requests,volume_bytes");
    assert_eq!(lines[1], "'=cmd,,2024-03,Regular,1,1,1,1,7");
    assert_eq!(lines[2], "'=cmd,,2024-03,Machine,1,1,1,1,5");
}

#[test]
fn memory_grows_with_sessions_and_objects_not_with_lines() {
    // 2,000 lines of one user on one object within 30 s of each other: one chain.
    let t = at(2024, 3, 10, 9, 0, 0);
    let lines: Vec<String> = (0..2000)
        .map(|i| get(t + (i % 3000) as i64 / 2, "ds/a.csv", 1))
        .collect();
    let s = run(
        &settings(),
        &[("logs/a".into(), lines.concat().into_bytes())],
        1 << 16,
    );
    let c = s.counter.as_ref().unwrap();
    assert_eq!(c.size(), (1, 0));
}
