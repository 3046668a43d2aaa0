//! What a snapshot costs: its size per distinct user, object and (dataset, day), and the
//! time to write and read it, for a year of generated logs with 10 thousand, 100 thousand
//! and 1 million distinct users. `cargo bench --bench snapshot` (S3LOGDROP_SNAPSHOT_USERS
//! to choose: `10000,100000`).

use s3logdrop::gen::{GenConfig, Generator};
use s3logdrop::session::Session;
use s3logdrop::settings::Settings;
use s3logdrop::snapshot::Snapshot;
use std::hint::black_box;
use std::time::Instant;

fn best(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let users: Vec<u32> = match std::env::var("S3LOGDROP_SNAPSHOT_USERS") {
        Ok(v) => v.split(',').filter_map(|x| x.trim().parse().ok()).collect(),
        Err(_) if quick => vec![2_000],
        Err(_) => vec![10_000, 100_000, 1_000_000],
    };
    println!(
        "{:>9} {:>9} {:>8} {:>9} {:>10} {:>10} {:>8} {:>8} {:>8}",
        "users", "lines", "objects", "ds-days", "snapshot", "per user", "write", "read", "summary"
    );
    for n in users {
        // Four lines per user over a year: most users appear, some several times.
        let lines = 4 * n as u64;
        let mut g = Generator::new(GenConfig {
            seed: 7,
            clients: n,
            objects: (n / 5).max(100),
            mean_gap: (365 * 86_400 / lines).max(1) as u32,
            ..GenConfig::default()
        });
        let settings = Settings::default();
        let mut session = Session::new(&settings).unwrap();
        session.begin_file("year.log");
        let mut buf = Vec::with_capacity(1 << 20);
        for _ in 0..lines {
            g.write_line(&mut buf);
            if buf.len() > 1 << 20 {
                session.push(&buf).unwrap();
                buf.clear();
            }
        }
        session.push(&buf).unwrap();
        let (summary, _) = session.finish().unwrap();
        let mut snap = Snapshot::new(settings);
        snap.add([("year.log".to_string(), 0)], summary);
        let users = snap.summary.users.len();
        let objects = snap.summary.objects.len();
        let days: usize = snap.summary.datasets.iter().map(|d| d.days().len()).sum();
        let bytes = snap.to_bytes();
        let runs = if quick { 1 } else { 3 };
        let write = best(runs, || {
            black_box(snap.to_bytes());
        });
        let read = best(runs, || {
            black_box(Snapshot::from_bytes(&bytes).unwrap());
        });
        let summary_bytes = snap.summary.to_bytes().len();
        println!(
            "{:>9} {:>9} {:>8} {:>9} {:>9.1}M {:>9.0}B {:>7.3}s {:>7.3}s {:>7.1}M",
            users,
            lines,
            objects,
            days,
            bytes.len() as f64 / 1e6,
            bytes.len() as f64 / users.max(1) as f64,
            write,
            read,
            summary_bytes as f64 / 1e6
        );
    }
}
