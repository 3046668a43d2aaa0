//! Snapshots: a delivery counted in one go equals the same delivery counted in steps
//! (added to one snapshot, or in snapshots merged in any order), every summary output byte
//! for byte; a file given twice is counted once; a known name with another size is
//! reported; other settings refuse to merge; a damaged, truncated or other-version
//! snapshot is refused whole, never half-read.

mod common;

use common::{generated_logs, run_files};
use proptest::prelude::*;
use s3logdrop::bots::BotRule;
use s3logdrop::outputs::{Anonymize, Outputs, SUMMARY_OUTPUTS};
use s3logdrop::period::Period;
use s3logdrop::report::Report;
use s3logdrop::settings::Settings;
use s3logdrop::snapshot::{settings_differ, Snapshot, MAGIC, VERSION};
use s3logdrop::summary::Summary;

/// Every summary output of a summary, by name.
fn outputs(settings: &Settings, summary: &Summary) -> Vec<(String, Vec<u8>)> {
    let report = Report::new(summary);
    let made = Outputs {
        summary,
        report: &report,
        settings,
        anon: &Anonymize::None,
        period: Period::Month,
    };
    SUMMARY_OUTPUTS
        .iter()
        .map(|name| {
            let mut out = Vec::new();
            made.write(name, &mut out).unwrap();
            (name.to_string(), out)
        })
        .collect()
}

fn one_go(settings: &Settings, files: &[(String, Vec<u8>)]) -> Vec<(String, Vec<u8>)> {
    let (mut s, _) = run_files(settings, files, 1 << 14);
    s.normalize();
    outputs(settings, &s)
}

/// A snapshot of `files`, read in one session.
fn snapshot_of(settings: &Settings, files: &[(String, Vec<u8>)]) -> Snapshot {
    let mut snap = Snapshot::new(settings.clone());
    let (s, _) = run_files(settings, files, 1 << 14);
    snap.add(files.iter().map(|(n, b)| (n.clone(), b.len() as u64)), s);
    snap
}

/// Cuts `files` at `cuts` (taken modulo the length) into consecutive groups.
fn groups<'a>(files: &'a [(String, Vec<u8>)], cuts: &[usize]) -> Vec<&'a [(String, Vec<u8>)]> {
    let mut b: Vec<usize> = cuts.iter().map(|c| c % (files.len() + 1)).collect();
    b.push(0);
    b.push(files.len());
    b.sort_unstable();
    b.windows(2).map(|w| &files[w[0]..w[1]]).collect()
}

fn assert_same(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)], what: &str) {
    for ((name, x), (_, y)) in a.iter().zip(b) {
        assert!(
            x == y,
            "{what}: {name} differs\n--- one go\n{}\n--- steps\n{}",
            String::from_utf8_lossy(x),
            String::from_utf8_lossy(y)
        );
    }
}

#[test]
fn two_and_five_steps_through_one_snapshot_equal_one_go() {
    let settings = Settings::default();
    let files = generated_logs(3, 10, 300, 9_000);
    let whole = one_go(&settings, &files);
    for steps in [2, 5] {
        let mut snap = Snapshot::new(settings.clone());
        for chunk in files.chunks(files.len().div_ceil(steps)) {
            // The snapshot goes through its bytes between steps, as between two runs.
            snap = Snapshot::from_bytes(&snap.to_bytes()).unwrap();
            let names: Vec<(&str, u64)> = files
                .iter()
                .map(|(n, b)| (n.as_str(), b.len() as u64))
                .collect();
            let plan = snap.plan(&names);
            // Everything counted so far is skipped; the rest is read.
            assert_eq!(plan.skipped.len(), snap.files.len());
            assert!(plan.changed.is_empty());
            let (s, _) = run_files(&settings, chunk, 1 << 14);
            snap.add(chunk.iter().map(|(n, b)| (n.clone(), b.len() as u64)), s);
        }
        assert_eq!(snap.files.len(), files.len());
        let again = Snapshot::from_bytes(&snap.to_bytes()).unwrap();
        assert_same(
            &whole,
            &outputs(&settings, &again.summary),
            &format!("{steps} steps"),
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn snapshots_merged_in_any_order_equal_one_go(
        seed in 0u64..1000,
        cuts in proptest::collection::vec(0usize..100, 0..5),
        rotate in 0usize..8,
        repeat in any::<bool>(),
    ) {
        let settings = Settings { bots: BotRule::Lab, ..Settings::default() };
        let files = generated_logs(seed, 7, 120, 9_000);
        let whole = one_go(&settings, &files);
        let mut snaps: Vec<Snapshot> =
            groups(&files, &cuts).into_iter().map(|g| snapshot_of(&settings, g)).collect();
        if repeat {
            // A snapshot given twice, and one holding a subset of another: counted once.
            let first = snaps[0].clone();
            snaps.push(first);
            snaps.push(Snapshot::new(settings.clone()));
        }
        let n = snaps.len();
        snaps.rotate_left(rotate % n);
        let mut all = snaps.remove(0);
        for s in snaps {
            all = all.merge(s).unwrap();
        }
        prop_assert_eq!(all.files.len(), files.len());
        assert_same(&whole, &outputs(&settings, &all.summary), "merged");
    }

    #[test]
    fn a_damaged_snapshot_is_refused_never_half_read(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let snap = snapshot_of(&Settings::default(), &generated_logs(9, 2, 60, 9_000));
        let good = snap.to_bytes();
        let mut bad = good.clone();
        if truncate {
            bad.truncate(cut.index(good.len()));
        } else {
            for (at, x) in &flips {
                let i = at.index(bad.len());
                bad[i] ^= x;
            }
        }
        prop_assert!(Snapshot::from_bytes(&bad).is_err(), "a damaged snapshot was read");
    }
}

#[test]
fn a_file_given_again_is_skipped_and_one_with_another_size_is_reported() {
    let settings = Settings::default();
    let files = generated_logs(4, 3, 50, 9_000);
    let snap = snapshot_of(&settings, &files[..2]);
    let plan = snap.plan(&[
        (files[0].0.as_str(), files[0].1.len() as u64),
        (files[1].0.as_str(), files[1].1.len() as u64 + 7),
        (files[2].0.as_str(), files[2].1.len() as u64),
    ]);
    assert_eq!(plan.skipped, vec![0]);
    assert_eq!(plan.changed, vec![(1, files[1].1.len() as u64)]);
    assert_eq!(plan.read, vec![2]);
    // Two snapshots that share a file under two sizes do not merge.
    let mut other = snapshot_of(&settings, &files[2..]);
    other.files.insert(files[0].0.clone(), 1);
    let e = snap.clone().merge(other).unwrap_err();
    assert!(
        e.contains(&files[0].0) && e.contains("different sizes"),
        "{e}"
    );
    // Sharing some files, each with files of its own: the shared ones cannot be counted once.
    let a = snapshot_of(&settings, &files[..2]);
    let b = snapshot_of(&settings, &files[1..]);
    let e = a.merge(b).unwrap_err();
    assert!(e.contains("share 1 log files"), "{e}");
}

#[test]
fn snapshots_made_with_other_settings_refuse_to_merge_and_name_them() {
    let files = generated_logs(5, 2, 40, 9_000);
    let a = snapshot_of(&Settings::default(), &files[..1]);
    let b = snapshot_of(
        &Settings {
            include_206: true,
            bots: BotRule::Off,
            ..Settings::default()
        },
        &files[1..],
    );
    let e = a.clone().merge(b).unwrap_err();
    assert!(e.contains("bots") && e.contains("include_206"), "{e}");
    // Publication rounding is a way of showing: it does not stop a merge.
    let c = snapshot_of(
        &Settings {
            publication_rounding: true,
            ..Settings::default()
        },
        &files[1..],
    );
    assert!(settings_differ(&a.settings, &c.settings).is_empty());
    assert_eq!(a.merge(c).unwrap().files.len(), 2);
}

#[test]
fn other_versions_and_other_files_are_refused_with_a_reason() {
    let good = snapshot_of(&Settings::default(), &generated_logs(6, 1, 30, 9_000)).to_bytes();
    assert!(good.starts_with(MAGIC));
    let mut other = good.clone();
    other[8..12].copy_from_slice(&(VERSION + 1).to_le_bytes());
    let e = Snapshot::from_bytes(&other).unwrap_err();
    assert!(
        e.contains(&format!("format {}", VERSION + 1)) && e.contains("another version"),
        "{e}"
    );
    let e = Snapshot::from_bytes(b"date,remote_ip\n2024-01-01,1.2.3.4\n").unwrap_err();
    assert!(e.contains("not an s3logdrop snapshot"), "{e}");
    let e = Snapshot::from_bytes(&good[..good.len() - 1]).unwrap_err();
    assert!(e.contains("cut short"), "{e}");
    let mut longer = good.clone();
    longer.push(0);
    assert!(Snapshot::from_bytes(&longer)
        .unwrap_err()
        .contains("after its end"));
    let mut flipped = good.clone();
    let mid = good.len() / 2;
    flipped[mid] ^= 1;
    assert!(Snapshot::from_bytes(&flipped)
        .unwrap_err()
        .contains("checksum"));
    assert!(Snapshot::from_bytes(&[]).is_err());
}
