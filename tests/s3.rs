//! `analyze s3://BUCKET/PREFIX` against a local S3 that the test starts itself (moto's
//! server, installed by `.ci/setup`): every output equals the CLI's on the same objects
//! copied into a folder, byte for byte; with a snapshot a second run reads only the
//! objects added since; a missing bucket, an empty prefix and an endpoint that does not
//! answer each give their message. A fake endpoint (`Fake`) plays what moto cannot: keys
//! refused, throttling, an object gone after the listing, an instance's or a container's
//! role.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_s3logdrop"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("s3logdrop-s3-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// moto's server: `S3LOGDROP_MOTO_SERVER`, the venv `.ci/setup` makes, or the PATH's.
fn moto_server() -> PathBuf {
    if let Some(p) = std::env::var_os("S3LOGDROP_MOTO_SERVER") {
        return p.into();
    }
    let venv = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cache/s3logdrop/moto/bin/moto_server"));
    match venv {
        Some(p) if p.exists() => p,
        _ => "moto_server".into(),
    }
}

/// A local S3 on a free port, stopped when dropped.
struct LocalS3 {
    child: Child,
    url: String,
    agent: ureq::Agent,
}

impl LocalS3 {
    fn start() -> LocalS3 {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(moto_server())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto's server (moto[server]) is installed: run `bash .ci/setup`");
        let url = format!("http://127.0.0.1:{port}");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let t = Instant::now();
        while agent.get(&url).call().is_err() {
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "moto's server did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        LocalS3 { child, url, agent }
    }

    /// PUTs a bucket or an object (moto takes unsigned requests).
    fn put(&self, path: &str, body: &[u8]) {
        let r = self
            .agent
            .put(&format!("{}/{path}", self.url))
            .send(body)
            .unwrap();
        assert!(r.status().is_success(), "PUT {path}: {}", r.status());
    }

    /// Uploads every file under `dir` as `prefix` + its path under `dir`.
    fn upload(&self, bucket: &str, dir: &Path, prefix: &str) -> usize {
        let mut n = 0;
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p
                        .strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/");
                    self.put(
                        &format!("{bucket}/{prefix}{rel}"),
                        &std::fs::read(&p).unwrap(),
                    );
                    n += 1;
                }
            }
        }
        n
    }

    fn analyze(&self, path: &str, out: &Path, extra: &[&str]) -> std::process::Output {
        bin()
            .arg("analyze")
            .arg(path)
            .arg("--out")
            .arg(out)
            .args(["--endpoint-url", &self.url])
            .args(extra)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap()
    }
}

impl Drop for LocalS3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn json(o: &std::process::Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn generate(dir: &Path, seed: &str, files: &str) {
    let o = bin()
        .args([
            "generate", "--bytes", "1500000", "--files", files, "--seed", seed, "--out",
        ])
        .arg(dir)
        .output()
        .unwrap();
    assert!(o.status.success());
}

#[test]
fn a_bucket_reads_as_the_same_objects_in_a_folder() {
    let s3 = LocalS3::start();
    s3.put("lab-logs", b"");
    // A delivery: many small objects, a gzip one, a file that is not a log.
    let root = tmp("src");
    let logs = root.join("logs");
    generate(&logs, "5", "30");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/own/edge_cases.multi.gz"),
        logs.join("2024-02-06-10-00-00-GZIP"),
    )
    .unwrap();
    std::fs::write(logs.join("notes.csv"), "a,b\n1,2\n").unwrap();
    let n = s3.upload("lab-logs", &logs, "logs/");
    // Something beside the prefix is not read.
    s3.put("lab-logs/other/x.log", b"not under the prefix\n");
    let remote = tmp("remote");
    let from_s3 = json(&s3.analyze("s3://lab-logs/logs/", &remote, &["--counter"]));
    assert_eq!(from_s3["files"], n as u64);
    let local = tmp("local");
    let o = bin()
        .current_dir(&root)
        .args(["analyze", "logs", "--counter", "--out"])
        .arg(&local)
        .output()
        .unwrap();
    let from_disk = json(&o);
    assert_eq!(from_s3, from_disk);
    let mut names: Vec<_> = std::fs::read_dir(&local)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert!(names.len() > 15);
    for name in names {
        let (a, b) = (
            std::fs::read(local.join(&name)).unwrap(),
            std::fs::read(remote.join(&name)).unwrap(),
        );
        assert!(a == b, "{name:?} differs between the bucket and the folder");
    }
}

#[test]
fn with_a_snapshot_the_next_run_reads_only_the_new_objects() {
    let s3 = LocalS3::start();
    s3.put("logs", b"");
    let first = tmp("first");
    generate(&first, "6", "12");
    let n1 = s3.upload("logs", &first, "2024/");
    let snap = tmp("snap").join("lab.s3ld");
    let s = snap.to_str().unwrap();
    let a = json(&s3.analyze("s3://logs/2024/", &tmp("out1"), &["--snapshot", s]));
    assert_eq!(
        (a["files_read"].as_u64(), a["files_skipped"].as_u64()),
        (Some(n1 as u64), Some(0))
    );
    // Next month: more objects under the prefix.
    let second = tmp("second");
    generate(&second, "7", "5");
    let n2 = s3.upload("logs", &second, "2024/later-");
    let (out2, out3) = (tmp("out2"), tmp("out3"));
    let b = json(&s3.analyze("s3://logs/2024/", &out2, &["--snapshot", s]));
    assert_eq!(
        (b["files_read"].as_u64(), b["files_skipped"].as_u64()),
        (Some(n2 as u64), Some(n1 as u64))
    );
    // The same as one run over everything.
    let all = json(&s3.analyze("s3://logs/2024/", &out3, &[]));
    for k in ["downloads", "unique_users", "lines", "bytes_sent"] {
        assert_eq!(b[k], all[k], "{k}");
    }
    for f in [
        "downloads_per_week.csv",
        "downloads_per_dataset.csv",
        "top_objects.csv",
    ] {
        let (x, y) = (
            std::fs::read(out2.join(f)).unwrap(),
            std::fs::read(out3.join(f)).unwrap(),
        );
        assert!(x == y, "{f}");
    }
}

#[test]
fn errors_people_meet_are_said_in_words() {
    let s3 = LocalS3::start();
    s3.put("there", b"");
    let o = s3.analyze("s3://missing-bucket/logs/", &tmp("e1"), &[]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("there is no bucket called missing-bucket"));
    let o = s3.analyze("s3://there/empty/", &tmp("e2"), &[]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("there is no object under s3://there/empty/")
    );
}

#[test]
fn parts_read_by_separate_processes_merge_into_one_run() {
    // Past one machine: each job reads one date prefix into its own snapshot; `merge`
    // puts them together as one run over everything.
    let s3 = LocalS3::start();
    s3.put("archive", b"");
    for (i, month) in ["2024/01/", "2024/02/", "2024/03/"].iter().enumerate() {
        let d = tmp(&format!("month{i}"));
        generate(&d, &format!("{}", 20 + i), "6");
        s3.upload("archive", &d, &format!("logs/{month}"));
    }
    let snaps = tmp("parts");
    let jobs: Vec<_> = ["2024/01/", "2024/02/", "2024/03/"]
        .iter()
        .enumerate()
        .map(|(i, month)| {
            let snap = snaps.join(format!("part-{i}.s3ld"));
            bin()
                .arg("analyze")
                .arg(format!("s3://archive/logs/{month}"))
                .arg("--out")
                .arg(tmp(&format!("part-out{i}")))
                .arg("--snapshot")
                .arg(&snap)
                .args(["--endpoint-url", &s3.url])
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut j in jobs {
        assert!(j.wait().unwrap().success());
    }
    let merged = tmp("merged");
    let mut merge = bin();
    merge.arg("merge");
    for i in 0..3 {
        merge.arg(snaps.join(format!("part-{i}.s3ld")));
    }
    let m = merge.arg("--out").arg(&merged).output().unwrap();
    let m = json(&m);
    let whole = tmp("whole");
    let all = json(&s3.analyze("s3://archive/logs/", &whole, &[]));
    for k in ["files", "lines", "downloads", "unique_users", "bytes_sent"] {
        assert_eq!(m[k], all[k], "{k}");
    }
    for f in [
        "downloads_per_day.csv",
        "downloads_per_dataset.csv",
        "top_objects.csv",
        "downloads_by_country.csv",
    ] {
        let (x, y) = (
            std::fs::read(merged.join(f)).unwrap(),
            std::fs::read(whole.join(f)).unwrap(),
        );
        assert!(x == y, "{f}");
    }
}

/// A request a [`Fake`] server saw: its method, path with query, and headers (lowercase).
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
}

/// An HTTP server on a free port that answers each request with what `answer` says
/// (status, body), and keeps every request: plays what a real S3 (or the metadata
/// service of an EC2 instance) answers where moto cannot (refused keys, throttling, an
/// object gone after the listing).
struct Fake {
    url: String,
    seen: std::sync::Arc<std::sync::Mutex<Vec<Seen>>>,
}

impl Fake {
    fn start(answer: impl Fn(&Seen) -> (u16, String) + Send + Sync + 'static) -> Fake {
        use std::io::{BufRead, BufReader, Write};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (log, answer) = (seen.clone(), std::sync::Arc::new(answer));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let (log, answer) = (log.clone(), answer.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    let mut parts = line.split_whitespace();
                    let (method, path) = (
                        parts.next().unwrap_or("").to_string(),
                        parts.next().unwrap_or("").to_string(),
                    );
                    let mut headers = Vec::new();
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':') {
                            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
                        }
                    }
                    let req = Seen {
                        method,
                        path,
                        headers,
                    };
                    let (status, body) = answer(&req);
                    log.lock().unwrap().push(req);
                    let mut out = stream;
                    // CUT_SHORT: the whole length announced, half of the body sent, the
                    // connection closed (a connection lost midway).
                    let (status, sent) = match status {
                        CUT_SHORT => (200, &body[..body.len() / 2]),
                        s => (s, &body[..]),
                    };
                    let _ = write!(
                        out,
                        "HTTP/1.1 {status} X\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{sent}",
                        body.len()
                    );
                });
            }
        });
        Fake { url, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// A [`Fake`]'s answer status for a body cut off halfway (the connection lost midway).
const CUT_SHORT: u16 = 599;

fn s3_error(code: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>m</Message></Error>")
}

/// A listing of these (key, size).
fn listing(objects: &[(&str, usize)]) -> String {
    let contents: String = objects
        .iter()
        .map(|(k, n)| format!("<Contents><Key>{k}</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>\"e\"</ETag><Size>{n}</Size><StorageClass>STANDARD</StorageClass></Contents>"))
        .collect();
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix>logs/</Prefix><KeyCount>{}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>{contents}</ListBucketResult>", objects.len())
}

/// `analyze` against a fake endpoint, with the given environment (no other credentials).
fn analyze_at(url: &str, out: &Path, extra: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = bin();
    c.args(["analyze", "s3://b/logs/", "--out"])
        .arg(out)
        .args(["--endpoint-url", url])
        .args(extra)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

const LOG_LINE: &str = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be lab-bucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT data/file.nc \"GET /lab-bucket/data/file.nc HTTP/1.1\" 200 - 1000 1000 70 10 \"-\" \"curl/8.0\" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader lab-bucket.s3.us-west-1.amazonaws.com TLSV1.2 - -\n";

#[test]
fn a_refused_key_and_throttling_are_said_in_words() {
    // Each refusal, from any request, and the sentence it must give.
    let region =
        "<Error><Code>AuthorizationHeaderMalformed</Code><Region>eu-west-1</Region></Error>";
    let cases = [
        (
            403,
            s3_error("InvalidAccessKeyId"),
            "S3 does not know this access key ID",
        ),
        (
            403,
            s3_error("SignatureDoesNotMatch"),
            "the secret access key does not match",
        ),
        (
            403,
            s3_error("AccessDenied"),
            "the key needs s3:ListBucket on the bucket",
        ),
        // A bucket in another region, at a store that cannot be followed there: said.
        (
            400,
            region.to_string(),
            "the bucket b is in the region eu-west-1, not the one given: try --region eu-west-1",
        ),
    ];
    for (i, (status, body, said)) in cases.into_iter().enumerate() {
        let s3 = Fake::start(move |_| (status, body.clone()));
        let keys = [
            ("AWS_ACCESS_KEY_ID", "AKIAWRONG"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
        ];
        let o = analyze_at(&s3.url, &tmp(&format!("f{i}")), &[], &keys);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(said), "{said}: {err}");
    }
    // Throttled twice, then answered: retried with backoff, and read.
    let n = std::sync::atomic::AtomicUsize::new(0);
    let s3 = Fake::start(move |r| {
        if n.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 2 {
            (503, s3_error("SlowDown"))
        } else if r.path.contains("list-type=2") {
            (200, listing(&[("logs/a", LOG_LINE.len())]))
        } else {
            (200, LOG_LINE.to_string())
        }
    });
    let r = json(&analyze_at(&s3.url, &tmp("f3"), &[], &[]));
    assert_eq!(r["downloads"], 1);
    assert_eq!(s3.seen().len(), 4, "two refusals, the listing, the object");
}

#[test]
fn an_object_gone_after_the_listing_is_a_note_and_read_by_the_next_run() {
    let gone = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let g = gone.clone();
    let s3 = Fake::start(move |r| {
        if r.path.contains("list-type=2") {
            (
                200,
                listing(&[("logs/a", LOG_LINE.len()), ("logs/b", LOG_LINE.len())]),
            )
        } else if r.path.starts_with("/b/logs/b") && g.load(std::sync::atomic::Ordering::SeqCst) {
            (404, s3_error("NoSuchKey"))
        } else {
            (200, LOG_LINE.to_string())
        }
    });
    let dir = tmp("gone");
    let snap = dir.join("s.s3ld");
    let snap = snap.to_str().unwrap();
    let r = json(&analyze_at(
        &s3.url,
        &dir.join("o1"),
        &["--snapshot", snap],
        &[],
    ));
    assert_eq!(r["downloads"], 1, "the object that was there is counted");
    let notes = r["file_notes"].to_string();
    assert!(
        notes.contains("logs/b") && notes.contains("deleted after it was listed"),
        "{notes}"
    );
    // Back (a retry that worked, a restore): the next run reads only that one.
    gone.store(false, std::sync::atomic::Ordering::SeqCst);
    let before = s3.seen().len();
    let r = json(&analyze_at(
        &s3.url,
        &dir.join("o2"),
        &["--snapshot", snap],
        &[],
    ));
    assert_eq!(r["downloads"], 2);
    let gets: Vec<String> = s3.seen()[before..]
        .iter()
        .filter(|s| !s.path.contains("list-type"))
        .map(|s| s.path.clone())
        .collect();
    assert_eq!(gets.len(), 1, "{gets:?}");
    assert_eq!(gets[0].split('?').next(), Some("/b/logs/b"), "{gets:?}");
}

#[test]
fn an_ec2_instance_role_signs_the_requests() {
    // IMDSv2: a token (PUT), the role's name, then its temporary credentials.
    let imds = Fake::start(|r| {
        match (r.method.as_str(), r.path.as_str()) {
        ("PUT", "/latest/api/token") => (200, "TOKEN-1".into()),
        (_, p) if !r.headers.iter().any(|(k, v)| k == "x-aws-ec2-metadata-token" && v == "TOKEN-1") => (401, format!("no token for {p}")),
        ("GET", "/latest/meta-data/iam/security-credentials/") => (200, "lab-role\n".into()),
        ("GET", "/latest/meta-data/iam/security-credentials/lab-role") => (200, r#"{"Code":"Success","AccessKeyId":"ASIAROLEKEY","SecretAccessKey":"s","Token":"tok","Expiration":"2099-01-01T00:00:00Z"}"#.into()),
        _ => (404, String::new()),
    }
    });
    let s3 = Fake::start(|r| {
        if r.path.contains("list-type=2") {
            (200, listing(&[("logs/a", LOG_LINE.len())]))
        } else {
            (200, LOG_LINE.to_string())
        }
    });
    let r = json(&analyze_at(
        &s3.url,
        &tmp("role"),
        &[],
        &[
            ("AWS_EC2_METADATA_DISABLED", "false"),
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.url),
        ],
    ));
    assert_eq!(r["downloads"], 1);
    for s in s3.seen() {
        assert!(
            s.path.contains("X-Amz-Credential=ASIAROLEKEY%2F"),
            "signed with the role's key: {}",
            s.path
        );
        assert!(
            s.path.contains("X-Amz-Security-Token=tok"),
            "with its session token: {}",
            s.path
        );
    }
    // A container's role (ECS, AWS Batch) comes first, with its authorization token.
    let ecs = Fake::start(|r| {
        if r.headers
            .iter()
            .any(|(k, v)| k == "authorization" && v == "Bearer abc")
        {
            (200, r#"{"AccessKeyId":"ASIATASKKEY","SecretAccessKey":"s","Token":"t2","Expiration":"2099-01-01T00:00:00Z"}"#.into())
        } else {
            (401, String::new())
        }
    });
    let full = format!("{}/v2/credentials/x", ecs.url);
    let before = s3.seen().len();
    json(&analyze_at(
        &s3.url,
        &tmp("task"),
        &[],
        &[
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &full),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer abc"),
        ],
    ));
    assert!(s3.seen()[before..]
        .iter()
        .all(|s| s.path.contains("X-Amz-Credential=ASIATASKKEY%2F")));
}

#[test]
fn a_connection_lost_midway_is_picked_up_where_it_stopped() {
    // A log object of many lines; its first GET stops halfway, the next asks for the rest.
    let object: String = LOG_LINE.repeat(50);
    let whole = object.clone();
    let s3 = Fake::start(move |r| {
        let range = r
            .headers
            .iter()
            .find(|(k, _)| k == "range")
            .map(|(_, v)| v.clone());
        if r.path.contains("list-type=2") {
            (200, listing(&[("logs/a", whole.len())]))
        } else if let Some(range) = range {
            let from: usize = range
                .trim_start_matches("bytes=")
                .trim_end_matches('-')
                .parse()
                .unwrap();
            (206, whole[from..].to_string())
        } else {
            (CUT_SHORT, whole.clone())
        }
    });
    let r = json(&analyze_at(&s3.url, &tmp("midway"), &[], &[]));
    assert_eq!(r["downloads"], 50, "every line once: {}", r["file_notes"]);
    assert_eq!(r["file_notes"].as_array().map(Vec::len), Some(0));
    let ranges: Vec<String> = s3
        .seen()
        .iter()
        .flat_map(|s| {
            s.headers
                .iter()
                .filter(|(k, _)| k == "range")
                .map(|(_, v)| v.clone())
        })
        .collect();
    assert_eq!(ranges, vec![format!("bytes={}-", object.len() / 2)]);
}
