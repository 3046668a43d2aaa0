//! `analyze s3://BUCKET/PREFIX` against a local S3 that the test starts itself (moto's
//! server, installed by `.ci/setup`): every output equals the CLI's on the same objects
//! copied into a folder, byte for byte; with a snapshot a second run reads only the
//! objects added since; a missing bucket, an empty prefix and an endpoint that does not
//! answer each give their message.

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
