//! The native CLI end to end: `analyze` output files and JSON, `parse` JSON lines,
//! spreadsheet-safe CSV, anonymised exports, bad files reported by name.

mod common;
use common::root;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_s3logdrop"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("s3logdrop-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn analyze(inputs: &[&Path], out: &Path, extra: &[&str]) -> Value {
    let o = bin()
        .arg("analyze")
        .args(inputs)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// A folder laid out like an S3 delivery: the fixtures plus bad files (one per test:
/// tests run at the same time).
fn drop_folder(test: &str) -> PathBuf {
    let d = tmp(&format!("drop-{test}")).join("logs");
    std::fs::create_dir_all(d.join("2024/02")).unwrap();
    let own = root().join("fixtures/own");
    std::fs::copy(
        own.join("edge_cases.log"),
        d.join("2024/02/2024-02-05-10-00-00-AAAA"),
    )
    .unwrap();
    std::fs::copy(
        own.join("edge_cases.multi.gz"),
        d.join("2024/02/2024-02-06-10-00-00-BBBB"),
    )
    .unwrap();
    std::fs::copy(own.join("image.png"), d.join("photo.png")).unwrap();
    std::fs::copy(own.join("not_a_log.csv"), d.join("export.csv")).unwrap();
    d
}

#[test]
fn analyze_writes_every_output_and_reports_bad_files() {
    let folder = drop_folder("outputs");
    let out = tmp("out");
    let j = analyze(&[&folder], &out, &[]);
    for k in [
        "files",
        "bytes",
        "lines",
        "parsed",
        "rejected",
        "blank",
        "downloads",
        "unique_users",
        "weeks",
        "rejected_by_reason",
    ] {
        assert!(j.get(k).is_some(), "missing {k}");
    }
    assert_eq!(j["files"], 4);
    assert_eq!(j["lines"], 2 * 17 + 2);
    assert_eq!(j["downloads"], 18);
    assert_eq!(j["unique_users"], 8);
    let w = &j["weeks"][0];
    assert_eq!(
        (w["week_start"].as_str(), w["week_end"].as_str()),
        (Some("2024-02-05"), Some("2024-02-11"))
    );
    let notes: Vec<(String, String)> = j["file_notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["file"].as_str().unwrap().to_string(),
                n["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        notes,
        [
            ("logs/export.csv".to_string(), "no_log_lines".to_string()),
            ("logs/photo.png".to_string(), "binary".to_string())
        ]
    );
    let mut written: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let mut want: Vec<String> = s3logdrop::outputs::SUMMARY_OUTPUTS
        .iter()
        .chain(&[
            "parsed_output.csv",
            "rejected_lines.txt",
            "downloads_over_time.png",
            "downloads_over_time.svg",
            "world_map.png",
            "world_map.svg",
        ])
        .map(|s| s.to_string())
        .collect();
    want.sort();
    assert_eq!(written, want);
    for f in &want {
        assert!(out.join(f).metadata().unwrap().len() > 0, "{f}");
    }
    let png = std::fs::read(out.join("downloads_over_time.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // Twice the chart's layout, for print.
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 1600);
    let svg = std::fs::read_to_string(out.join("downloads_over_time.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("Downloads per week"));
    let weeks = std::fs::read_to_string(out.join("downloads_per_week.csv")).unwrap();
    assert!(weeks.starts_with(
        "period_start,period_end,downloads,new_unique_users,active_unique_users,bytes_sent,partial\r\n"
    ));
    let methods = std::fs::read_to_string(out.join("methods.txt")).unwrap();
    assert!(
        methods.contains("A download is a request of type REST.GET.OBJECT"),
        "{methods}"
    );

    let parsed = std::fs::read_to_string(out.join("parsed_output.csv")).unwrap();
    assert!(parsed
        .starts_with("date,remote_ip,operation,status,bytes,user_agent,object_size,time,key\r\n"));
    // 10 candidates per copy of the fixture.
    assert_eq!(parsed.lines().count(), 1 + 20);
    // HTML stays text; a formula is defused with a leading apostrophe; quotes are doubled.
    assert!(parsed.contains(",<img src=x onerror=alert(1)>,"));
    assert!(parsed.contains(r#","'=HYPERLINK(""http://example.com/x"",""click"")","#));
    assert!(!parsed.contains(",=HYPERLINK"));
    let filt = std::fs::read_to_string(out.join("parsed_output_filt.csv")).unwrap();
    assert_eq!(filt.lines().count(), 1 + 8);
    assert!(!filt.contains("Googlebot"));
    // The logs start on Monday 2024-02-05: its week is covered from its first day.
    assert_eq!(
        weeks.lines().nth(1),
        Some("2024-02-05,2024-02-11,10,4,4,1000,false")
    );
    let rejected = std::fs::read_to_string(out.join("rejected_lines.txt")).unwrap();
    assert!(rejected.contains("bad_time\tlogs/2024/02/2024-02-05-10-00-00-AAAA\t16\t"));
}

#[test]
fn results_do_not_depend_on_read_size() {
    let folder = drop_folder("read-size");
    let a = analyze(&[&folder], &tmp("a"), &["--chunk-size", "1"]);
    let b = analyze(&[&folder], &tmp("b"), &["--chunk-size", "1000000"]);
    assert_eq!(a, b);
}

#[test]
fn results_do_not_depend_on_threads() {
    let folder = drop_folder("threads");
    // A big plain file (cut into ranges by the threads) with nasty lines, beside the rest.
    let o = bin()
        .args(["generate", "--bytes", "3000000", "--nasty", "50", "--out"])
        .arg(folder.join("big"))
        .output()
        .unwrap();
    assert!(o.status.success());
    let one = tmp("jobs1");
    let three = tmp("jobs3");
    let a = analyze(&[&folder], &one, &["--jobs", "1"]);
    let b = analyze(
        &[&folder],
        &three,
        &["--jobs", "3", "--range-bytes", "100000"],
    );
    assert_eq!(a, b);
    assert!(a["rejected"].as_u64().unwrap() > 100);
    for f in std::fs::read_dir(&one).unwrap() {
        let name = f.unwrap().file_name();
        let (x, y) = (
            std::fs::read(one.join(&name)).unwrap(),
            std::fs::read(three.join(&name)).unwrap(),
        );
        assert!(x == y, "{name:?} differs");
    }
    assert_eq!(
        std::fs::read_dir(&three).unwrap().count(),
        s3logdrop::outputs::SUMMARY_OUTPUTS.len() + 6
    );
}

#[test]
fn an_output_folder_inside_the_logs_is_not_read_back() {
    let folder = tmp("inside").join("logs");
    std::fs::create_dir_all(&folder).unwrap();
    for f in ["edge_cases.log", "edge_cases.multi.gz"] {
        std::fs::copy(root().join("fixtures/own").join(f), folder.join(f)).unwrap();
    }
    let out = folder.join("results");
    let first = analyze(&[&folder], &out, &[]);
    let again = analyze(&[&folder], &out, &[]);
    assert_eq!(first, again);
    assert_eq!(again["files"], 2);
}

#[test]
fn settings_flags_change_the_counts() {
    let f = root().join("fixtures/own/edge_cases.log");
    let base = analyze(&[&f], &tmp("s0"), &[]);
    let lab = analyze(&[&f], &tmp("s1"), &["--bots", "lab"]);
    let off = analyze(&[&f], &tmp("s2"), &["--bots", "off", "--include-206"]);
    let ex = analyze(
        &[&f],
        &tmp("s3"),
        &[
            "--exclude-ip",
            "192.0.2.0/24",
            "--exclude-ip",
            "2001:db8::/32",
        ],
    );
    let dates = analyze(
        &[&f],
        &tmp("s4"),
        &["--since", "2024-02-12", "--until", "2024-02-13"],
    );
    let prefix = analyze(&[&f], &tmp("s5"), &["--prefix", "data/b"]);
    assert_eq!(base["downloads"], 9);
    assert_eq!(lab["downloads"], 8);
    assert_eq!(off["downloads"], 11);
    assert_eq!(ex["downloads"], 0);
    assert_eq!(dates["downloads"], 2);
    assert_eq!(prefix["downloads"], 1);
    let o = bin()
        .args(["analyze", "--out"])
        .arg(tmp("bad"))
        .arg(&f)
        .args(["--exclude-ip", "10.0.0.0/99"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("10.0.0.0/99"));
}

#[test]
fn anonymised_exports_hide_addresses() {
    let f = root().join("fixtures/own/edge_cases.log");
    let out = tmp("anon");
    analyze(&[&f], &out, &["--anonymize", "network"]);
    let csv = std::fs::read_to_string(out.join("parsed_output.csv")).unwrap();
    assert!(csv.contains(",192.0.2.0/24,") && csv.contains(",2001:db8::/48,"));
    assert!(!csv.contains("192.0.2.10"));
    let out2 = tmp("anon2");
    analyze(&[&f], &out2, &["--anonymize", "hash"]);
    let csv = std::fs::read_to_string(out2.join("parsed_output.csv")).unwrap();
    assert!(!csv.contains("192.0.2."));
    // The same user has the same pseudonym within one run (2001:db8::1 written two ways).
    let ips: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(ips[0], ips[1]);
    assert_eq!(ips[0].len(), 32);
    assert_ne!(ips[0], ips[2]);
}

#[test]
fn parse_prints_one_json_object_per_line() {
    let f = root().join("fixtures/own/edge_cases.log");
    let o = bin().arg("parse").arg(&f).output().unwrap();
    assert!(o.status.success());
    let lines: Vec<Value> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 17);
    assert_eq!(lines[0]["outcome"], "parsed");
    assert_eq!(lines[0]["line"], 1);
    let fields = &lines[4]["fields"];
    assert_eq!(fields["time"], "2024-02-11T23:30:00Z");
    assert_eq!(fields["http_status"], 200);
    assert_eq!(fields["bytes_sent"], 100);
    assert_eq!(fields["referer"], Value::Null);
    assert_eq!(lines[3]["fields"]["source_region"], "us-east-1");
    assert_eq!(lines[12]["outcome"], "blank");
    assert_eq!(lines[15]["outcome"], "rejected");
    assert_eq!(lines[15]["reason"], "bad_time");
    assert!(lines[15].get("fields").is_none());
    let o = bin()
        .args(["parse", "--format", "csv"])
        .arg(&f)
        .output()
        .unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.starts_with("file,line,outcome,reason,bucket_owner,bucket,time,"));
    assert_eq!(text.lines().count(), 18);
}

#[test]
fn generate_then_analyze_agree_with_the_generator() {
    let d = tmp("gen");
    let o = bin()
        .args([
            "generate", "--bytes", "2000000", "--files", "20", "--gzip", "--nasty", "20", "--out",
        ])
        .arg(&d)
        .output()
        .unwrap();
    assert!(o.status.success());
    let truth: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(std::fs::read_dir(&d).unwrap().count(), 20);
    let j = analyze(&[&d], &tmp("gen-out"), &[]);
    for k in ["lines", "blank", "rejected", "parsed"] {
        assert_eq!(j[k], truth[k], "{k}");
    }
    assert_eq!(j["downloads"], truth["downloads_default"]);
}

/// The summary outputs of a folder, by name (the row exports left out: they cover the
/// files read in one run).
fn summary_files(out: &Path) -> Vec<(String, Vec<u8>)> {
    s3logdrop::outputs::SUMMARY_OUTPUTS
        .iter()
        .chain(&["downloads_over_time.svg", "downloads_over_time.png"])
        .map(|n| (n.to_string(), std::fs::read(out.join(n)).unwrap()))
        .collect()
}

#[test]
fn a_delivery_counted_in_two_and_five_steps_with_a_snapshot_equals_one_go_and_merge_joins_snapshots(
) {
    let base = tmp("snapshot");
    let all = base.join("all").join("logs");
    let o = bin()
        .args([
            "generate",
            "--bytes",
            "2000000",
            "--files",
            "10",
            "--mean-gap",
            "20000",
        ])
        .arg("--out")
        .arg(&all)
        .output()
        .unwrap();
    assert!(o.status.success());
    let mut names: Vec<String> = std::fs::read_dir(&all)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let whole = analyze(&[&all], &base.join("out-whole"), &["--period", "month"]);
    // The same folder, growing: 3 files, then 7 more, then nothing new.
    let growing = base.join("growing").join("logs");
    std::fs::create_dir_all(&growing).unwrap();
    for n in &names[..3] {
        std::fs::copy(all.join(n), growing.join(n)).unwrap();
    }
    let snap = base.join("counted.s3ld");
    let args = ["--period", "month", "--snapshot", snap.to_str().unwrap()];
    let first = analyze(&[&growing], &base.join("out-1"), &args);
    assert_eq!(
        (
            first["files_read"].as_u64(),
            first["files_skipped"].as_u64()
        ),
        (Some(3), Some(0))
    );
    for n in &names[3..] {
        std::fs::copy(all.join(n), growing.join(n)).unwrap();
    }
    let out = base.join("out-2");
    let second = analyze(&[&growing], &out, &args);
    assert_eq!(
        (
            second["files_read"].as_u64(),
            second["files_skipped"].as_u64()
        ),
        (Some(7), Some(3))
    );
    assert_eq!(second["downloads"], whole["downloads"]);
    assert_eq!(second["unique_users"], whole["unique_users"]);
    assert!(
        summary_files(&base.join("out-whole")) == summary_files(&out),
        "the outputs in two steps equal one go"
    );
    // Five steps of two files each, into another snapshot: the same outputs.
    let five = base.join("five").join("logs");
    std::fs::create_dir_all(&five).unwrap();
    let snap5 = base.join("five.s3ld");
    let args5 = ["--period", "month", "--snapshot", snap5.to_str().unwrap()];
    for (step, pair) in names.chunks(2).enumerate() {
        for n in pair {
            std::fs::copy(all.join(n), five.join(n)).unwrap();
        }
        let j = analyze(&[&five], &base.join(format!("out-five-{step}")), &args5);
        assert_eq!(j["files_read"].as_u64(), Some(2), "step {step}");
    }
    assert!(
        summary_files(&base.join("out-whole")) == summary_files(&base.join("out-five-4")),
        "the outputs in five steps equal one go"
    );
    // Nothing new: nothing read, same outputs.
    let third = analyze(&[&growing], &base.join("out-3"), &args);
    assert_eq!(third["files_read"].as_u64(), Some(0));
    assert!(summary_files(&base.join("out-whole")) == summary_files(&base.join("out-3")));

    // A file counted before, now with another size: reported, not counted again.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(growing.join(&names[0]))
        .unwrap();
    std::io::Write::write_all(&mut f, b"extra\n").unwrap();
    let changed = analyze(&[&growing], &base.join("out-4"), &args);
    let notes = changed["file_notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n["kind"] == "changed_size"),
        "{notes:?}"
    );
    assert_eq!(changed["downloads"], whole["downloads"]);

    // Other settings: refused, naming them; the snapshot is left as it was.
    let before = std::fs::read(&snap).unwrap();
    let o = bin()
        .arg("analyze")
        .arg(&growing)
        .arg("--out")
        .arg(base.join("out-5"))
        .args(args)
        .args(["--bots", "off"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("other settings (bots)"));
    assert_eq!(std::fs::read(&snap).unwrap(), before);

    // Months analysed apart, then merged: as one run.
    let (a, b) = (base.join("a").join("logs"), base.join("b").join("logs"));
    for (dir, part) in [(&a, &names[..4]), (&b, &names[4..])] {
        std::fs::create_dir_all(dir).unwrap();
        for n in part {
            std::fs::copy(all.join(n), dir.join(n)).unwrap();
        }
    }
    let (sa, sb) = (base.join("a.s3ld"), base.join("b.s3ld"));
    analyze(
        &[&a],
        &base.join("out-a"),
        &["--snapshot", sa.to_str().unwrap()],
    );
    analyze(
        &[&b],
        &base.join("out-b"),
        &["--snapshot", sb.to_str().unwrap()],
    );
    let merged_out = base.join("out-merged");
    let merged_snap = base.join("merged.s3ld");
    let o = bin()
        .arg("merge")
        .args([&sb, &sa])
        .arg("--out")
        .arg(&merged_out)
        .args(["--period", "month", "--snapshot"])
        .arg(&merged_snap)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(summary_files(&base.join("out-whole")) == summary_files(&merged_out));
}

#[test]
fn a_run_killed_in_the_middle_leaves_the_snapshot_as_it_was() {
    let base = tmp("killed");
    let logs = base.join("logs");
    let small = base.join("small");
    for (dir, bytes) in [(&small, "200000"), (&logs, "400000000")] {
        let o = bin()
            .args(["generate", "--files", "2", "--bytes", bytes, "--out"])
            .arg(dir)
            .output()
            .unwrap();
        assert!(o.status.success());
    }
    let snap = base.join("s.s3ld");
    analyze(
        &[&small],
        &base.join("out-small"),
        &["--snapshot", snap.to_str().unwrap()],
    );
    let before = std::fs::read(&snap).unwrap();
    let mut child = bin()
        .arg("analyze")
        .args([&small, &logs])
        .arg("--out")
        .arg(base.join("out-big"))
        .arg("--snapshot")
        .arg(&snap)
        .args(["--jobs", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed once it is reading (its row export has begun).
    let rows = base.join("out-big").join("parsed_output.csv");
    while std::fs::metadata(&rows).map_or(true, |m| m.len() < 100_000) {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "the run was still going when killed");
    assert_eq!(
        std::fs::read(&snap).unwrap(),
        before,
        "the old snapshot is intact"
    );
    let again = analyze(
        &[&small],
        &base.join("out-again"),
        &["--snapshot", snap.to_str().unwrap()],
    );
    assert_eq!(again["files_skipped"].as_u64(), Some(2));
}

/// `geo` answers from the built-in tables, one JSON line an address (null where a table
/// has no answer), and names a bad address without hiding the others' answers.
#[test]
fn geo_prints_each_address_country_and_network() {
    let out = bin()
        .args([
            "geo",
            "--format",
            "jsonl",
            "8.8.8.8",
            "2001:0db8::1",
            "::ffff:193.0.6.139",
            "3.5.140.10",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            serde_json::json!({"ip": "8.8.8.8", "country_code": "US", "country": "United States",
                "asn": 15169, "network": "Google LLC", "cloud": "Google Cloud",
                "aws_region": null, "aws_service": null}),
            serde_json::json!({"ip": "2001:db8::1", "country_code": null, "country": null,
                "asn": null, "network": null, "cloud": null, "aws_region": null,
                "aws_service": null}),
            serde_json::json!({"ip": "193.0.6.139", "country_code": "NL", "country": "Netherlands",
                "asn": 3333, "network": "Reseaux IP Europeens Network Coordination Centre (RIPE NCC)",
                "cloud": null, "aws_region": null, "aws_service": null}),
            serde_json::json!({"ip": "3.5.140.10", "country_code": "KR", "country": "South Korea",
                "asn": 16509, "network": "Amazon.com, Inc.", "cloud": "Amazon Web Services",
                "aws_region": "ap-northeast-2", "aws_service": "EC2"}),
        ]
    );
    let out = bin()
        .args(["geo", "--sources", "8.8.8.8", "not-an-ip"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("geo-whois-asn-country") && text.contains("CC BY 4.0"),
        "{text}"
    );
    assert!(
        text.contains("@ip-location-db/asn") && text.contains("ip-ranges.json"),
        "{text}"
    );
    assert!(text.contains("United States"), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an IP address: not-an-ip"));
}

/// `--exclude-cloud` leaves out downloads from cloud and hosting networks, and
/// `downloads_by_network.csv` names each network (AWS's by region) without an address.
#[test]
fn exclude_cloud_and_the_network_table() {
    let dir = tmp("cloud-logs");
    std::fs::create_dir_all(&dir).unwrap();
    let line = |ip: &str| {
        format!(
            "o b [10/Jan/2024:12:00:00 +0000] {ip} - R REST.GET.OBJECT ds/x/f \"GET /ds/x/f HTTP/1.1\" 200 - 100 100 1 1 \"-\" \"curl/8\" -\n"
        )
    };
    let ips = [
        "3.5.140.10",
        "8.8.8.8",
        "130.237.1.1",
        "130.237.1.1",
        "2a01:4f8::1",
    ];
    let text: String = ips.iter().map(|ip| line(ip)).collect();
    let log = dir.join("access.log");
    std::fs::write(&log, text).unwrap();
    let (all_out, some_out) = (tmp("cloud-all"), tmp("cloud-some"));
    let all = analyze(&[&log], &all_out, &[]);
    let some = analyze(&[&log], &some_out, &["--exclude-cloud"]);
    assert_eq!(all["downloads"], 5);
    assert_eq!(all["cloud"]["downloads"], 3);
    assert_eq!(all["cloud"]["unique_users"], 3);
    assert_eq!(some["downloads"], 2);
    assert_eq!(some["removed"]["cloud"], 3);
    assert_eq!(some["cloud"]["downloads"], 0);
    let csv = std::fs::read_to_string(all_out.join("downloads_by_network.csv"))
        .unwrap()
        .replace("\r\n", "\n");
    let expected = "\
asn,network,cloud,aws_region,downloads,unique_users,bytes_sent
1653,Vetenskapsradet / SUNET,,,2,1,200
16509,\"Amazon.com, Inc.\",Amazon Web Services,ap-northeast-2,1,1,100
15169,Google LLC,Google Cloud,,1,1,100
24940,Hetzner Online GmbH,Hetzner,,1,1,100
";
    assert_eq!(csv, expected);
    assert!(!csv.contains("130.237"));
    let csv = std::fs::read_to_string(some_out.join("downloads_by_network.csv")).unwrap();
    assert_eq!(
        csv.lines().skip(1).collect::<Vec<_>>(),
        ["1653,Vetenskapsradet / SUNET,,,2,1,200"]
    );
    let method = std::fs::read_to_string(some_out.join("methods.txt")).unwrap();
    assert!(
        method.contains("3 downloads from cloud and hosting networks"),
        "{method}"
    );
}

#[test]
fn counter_files_do_not_depend_on_threads_ranges_or_snapshots() {
    let folder = drop_folder("counter");
    let gen = |name: &str, seed: &str| {
        let o = bin()
            .args(["generate", "--bytes", "2000000", "--seed", seed, "--out"])
            .arg(folder.join(name))
            .output()
            .unwrap();
        assert!(o.status.success());
    };
    gen("big", "3");
    let read = |dir: &Path| {
        ["counter_metrics.csv", "counter_report.json"].map(|f| std::fs::read(dir.join(f)).unwrap())
    };
    let one = tmp("counter-jobs1");
    let a = analyze(&[&folder], &one, &["--counter", "--jobs", "1"]);
    assert!(a["counter"]["rows"].as_array().unwrap().len() > 10);
    let three = tmp("counter-jobs3");
    analyze(
        &[&folder],
        &three,
        &["--counter", "--jobs", "3", "--range-bytes", "100000"],
    );
    // The day the report is made is in counter_report.json: both runs are within seconds.
    assert!(
        read(&one) == read(&three),
        "the threads and ranges changed COUNTER's files"
    );
    // Counted in two runs with a snapshot, the second reading only the new files.
    let later = folder.join("later");
    gen("later", "4");
    let all = tmp("counter-all");
    analyze(&[&folder], &all, &["--counter"]);
    let aside = tmp("counter-aside").join("later");
    std::fs::rename(&later, &aside).unwrap();
    let snap = tmp("counter-snap").join("a.s3ld");
    let s = snap.to_str().unwrap();
    analyze(
        &[&folder],
        &tmp("counter-first"),
        &["--counter", "--snapshot", s],
    );
    std::fs::rename(&aside, &later).unwrap();
    let second = tmp("counter-second");
    let j = analyze(&[&folder], &second, &["--counter", "--snapshot", s]);
    assert!(j["files_skipped"].as_u64().unwrap() > 0, "{j}");
    assert!(
        read(&all) == read(&second),
        "a snapshot changed COUNTER's files"
    );
}
