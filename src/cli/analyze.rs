//! `s3logdrop analyze`: the summary on stdout and every output file in `--out`.

use super::args::AnonArg;
use super::walk::collect;
use s3logdrop::chart::{self, ChartOptions};
use s3logdrop::map::{self, MapOptions};
use s3logdrop::outputs::{self, Anonymize, FileSink, Outputs};
use s3logdrop::period::Period;
use s3logdrop::pool::{self, PoolOptions};
use s3logdrop::report::Report;
use s3logdrop::session::Session;
use s3logdrop::settings::Settings;
use s3logdrop::snapshot::{self, Snapshot};
use s3logdrop::summary::{FileNote, FileNoteKind, Summary};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Creates an output file, replacing the one of an earlier run by a new file rather
/// than truncating it: on ext4 a file truncated and written again is flushed to disk
/// when closed (`auto_da_alloc`), which cost a re-run into the same folder 0.26 s of
/// waiting at 1 GB.
fn new_file(path: &Path) -> io::Result<File> {
    let _ = std::fs::remove_file(path);
    File::create(path)
}

fn write_file(
    dir: &Path,
    name: &str,
    f: impl FnOnce(BufWriter<File>) -> io::Result<()>,
) -> Result<(), String> {
    let path = dir.join(name);
    let file = new_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    f(BufWriter::new(file)).map_err(|e| format!("{}: {e}", path.display()))
}

/// How remote IPs appear in the row exports, for the flag.
fn anonymizer(anon: AnonArg) -> Result<Anonymize, String> {
    Ok(match anon {
        AnonArg::None => Anonymize::None,
        AnonArg::Network => Anonymize::Network,
        AnonArg::Hash => {
            let mut salt = [0u8; 16];
            getrandom::fill(&mut salt).map_err(|e| format!("no random salt: {e}"))?;
            Anonymize::Hash { salt }
        }
    })
}

/// The snapshot in `path`, or an empty one when there is no such file; refused when it
/// was made with other settings than `settings`.
fn open_snapshot(path: &Path, settings: &Settings) -> Result<Snapshot, String> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Snapshot::new(settings.clone()))
        }
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let snap = Snapshot::from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let differ = snapshot::settings_differ(&snap.settings, settings);
    if !differ.is_empty() {
        return Err(format!(
            "{} was made with other settings ({}): counts made under two definitions are not mixed; give the same settings, or another snapshot file to start anew",
            path.display(),
            differ.join(", ")
        ));
    }
    Ok(snap)
}

/// Writes `snap` to `path` atomically: a new file beside it, renamed over it once
/// complete (a crash or Ctrl-C leaves the old one as it was).
fn save_snapshot(path: &Path, snap: &Snapshot) -> Result<(), String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| fail(&e))?;
    tmp.write_all(&snap.to_bytes())
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| fail(&e))?;
    tmp.persist(path).map_err(|e| fail(&e.error))?;
    Ok(())
}

/// Writes every summary output, the chart and the summary on stdout (with `extra`
/// fields added to it).
pub fn write_outputs(
    out: &Path,
    summary: &Summary,
    settings: &Settings,
    anon: &Anonymize,
    period: Period,
    extra: &[(&str, u64)],
    dsr: &outputs::DsrInfo,
) -> Result<(), String> {
    let report = Report::new(summary);
    let made = Outputs {
        summary,
        report: &report,
        settings,
        anon,
        period,
    };
    for name in outputs::SUMMARY_OUTPUTS {
        write_file(out, name, |w| made.write(name, w))?;
    }
    if settings.counter {
        for name in outputs::COUNTER_OUTPUTS {
            write_file(out, name, |w| outputs::write_counter(name, &report, dsr, w))?;
        }
    }
    let opt = ChartOptions {
        period,
        downloads: report.downloads,
        unique_users: report.unique_users,
        publication: settings.publication_rounding,
        ..Default::default()
    };
    let rows = report.periods.get(period);
    chart::write_png(&out.join("downloads_over_time.png"), rows, &opt)?;
    let svg = chart::svg(rows, &opt)?;
    write_file(out, "downloads_over_time.svg", |mut w| {
        w.write_all(svg.as_bytes())?;
        w.flush()
    })?;
    let world = s3logdrop::geo::WorldMap::builtin();
    let opt = MapOptions {
        publication: settings.publication_rounding,
        ..Default::default()
    };
    map::write_png(&out.join("world_map.png"), world, &report.countries, &opt)?;
    let svg = map::svg(world, &report.countries, &opt)?;
    write_file(out, "world_map.svg", |mut w| {
        w.write_all(svg.as_bytes())?;
        w.flush()
    })?;
    for n in &report.file_notes {
        eprintln!("note: {}: {} ({})", n.file, n.message, n.kind);
    }
    let mut json = serde_json::to_value(&report).map_err(|e| e.to_string())?;
    if let serde_json::Value::Object(m) = &mut json {
        for (k, v) in extra {
            m.insert((*k).into(), (*v).into());
        }
    }
    let json = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = writeln!(io::stdout(), "{json}");
    Ok(())
}

/// What `analyze` is asked.
pub struct AnalyzeArgs<'a> {
    pub paths: &'a [PathBuf],
    pub out: &'a Path,
    pub settings: Settings,
    pub anon: AnonArg,
    pub period: Period,
    pub pool_options: PoolOptions,
    /// Add to this snapshot (read it if it exists, skip the files it counted, write it back).
    pub snapshot: Option<&'a Path>,
    /// Who publishes the COUNTER report.
    pub dsr: outputs::DsrInfo,
    /// How to reach S3 for `s3://` paths.
    pub s3: crate::cli::s3::S3Args,
}

pub fn analyze(a: AnalyzeArgs<'_>) -> Result<(), String> {
    let AnalyzeArgs {
        paths,
        out,
        settings,
        anon,
        period,
        mut pool_options,
        snapshot,
        dsr,
        s3,
    } = a;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let anon = anonymizer(anon)?;
    let create = |name: &str| -> Result<BufWriter<File>, String> {
        let p = out.join(name);
        new_file(&p)
            .map(BufWriter::new)
            .map_err(|e| format!("{}: {e}", p.display()))
    };
    // Results written inside a folder of logs are not read back as logs.
    let (local, remote): (Vec<PathBuf>, Vec<PathBuf>) = paths
        .iter()
        .cloned()
        .partition(|p| !p.to_string_lossy().starts_with("s3://"));
    let (mut inputs, errors) = collect(&local, Some(out));
    for url in &remote {
        inputs.extend(crate::cli::s3::inputs(&url.to_string_lossy(), &s3)?);
    }
    let mut snap = match snapshot {
        Some(p) => Some(open_snapshot(p, &settings)?),
        None => None,
    };
    // With a snapshot: only the files it has not counted are read.
    let mut sizes: Vec<Option<u64>> = inputs
        .iter()
        .map(|i| match &i.source {
            Some(s) => Some(s.size()),
            None => std::fs::metadata(&i.path).ok().map(|m| m.len()),
        })
        .collect();
    let mut changed = Vec::new();
    let mut skipped = 0u64;
    if let Some(snap) = &snap {
        let known: Vec<(&str, u64)> = inputs
            .iter()
            .zip(&sizes)
            .map(|(i, s)| (i.name.as_str(), s.unwrap_or(u64::MAX)))
            .collect();
        let plan = snap.plan(&known);
        for &(i, counted) in &plan.changed {
            changed.push(FileNote::changed_size(&inputs[i].name, counted, known[i].1));
        }
        skipped = plan.skipped.len() as u64;
        let keep: std::collections::HashSet<usize> = plan.read.into_iter().collect();
        let mut i = 0;
        inputs.retain(|_| {
            i += 1;
            keep.contains(&(i - 1))
        });
        let mut i = 0;
        sizes.retain(|_| {
            i += 1;
            keep.contains(&(i - 1))
        });
    }
    // The objects of a bucket that will be read may be fetched ahead (only those).
    for i in &inputs {
        if let Some(s) = &i.source {
            s.announce();
        }
    }
    pool_options.spill_dir = out.to_path_buf();
    let mut summary = if pool_options.jobs <= 1 {
        let sink = FileSink::new(
            create("parsed_output.csv")?,
            create("rejected_lines.txt")?,
            anon.clone(),
        )
        .map_err(|e| e.to_string())?;
        let mut session = Session::with_sink(&settings, sink)?;
        // A write that fails (a full disk) stops the analysis with the error.
        let written = pool::run_serial(&mut session, &inputs, pool_options.chunk_size)
            .and_then(|_| session.finish())
            .and_then(|(summary, mut sink)| sink.flush().map(|_| summary));
        written.map_err(|e| format!("writing the row exports: {e}"))?
    } else {
        let mut rows = create("parsed_output.csv")?;
        let mut rejected = create("rejected_lines.txt")?;
        let summary = pool::run_parallel(
            &inputs,
            &settings,
            &anon,
            &pool_options,
            &mut rows,
            &mut rejected,
        )?;
        rows.flush()
            .and_then(|_| rejected.flush())
            .map_err(|e| format!("writing the row exports: {e}"))?;
        summary
    };
    for (file, e) in &errors {
        summary.file_notes.push(FileNote::read_error(file, e));
    }
    summary.normalize();
    let Some(mut snap) = snap.take() else {
        return write_outputs(out, &summary, &settings, &anon, period, &[], &dsr);
    };
    // The files read join the snapshot; one that could not be read is read next time.
    let unread: std::collections::HashSet<&str> = summary
        .file_notes
        .iter()
        .filter(|n| n.kind == FileNoteKind::ReadError)
        .map(|n| n.file.as_str())
        .collect();
    let read: Vec<(String, u64)> = inputs
        .iter()
        .zip(&sizes)
        .filter(|(i, _)| !unread.contains(i.name.as_str()))
        .filter_map(|(i, s)| s.map(|s| (i.name.clone(), s)))
        .collect();
    let files_read = inputs.len() as u64;
    snap.settings = settings.clone();
    snap.made_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    snap.add(read, summary);
    save_snapshot(snapshot.expect("a snapshot was given"), &snap)?;
    // The changed files are this run's news, not part of what the snapshot counts.
    snap.summary.file_notes.extend(changed);
    snap.summary.normalize();
    write_outputs(
        out,
        &snap.summary,
        &settings,
        &anon,
        period,
        &[("files_read", files_read), ("files_skipped", skipped)],
        &dsr,
    )
}

/// `s3logdrop merge`: the outputs (and, with `snapshot`, the merged snapshot) of several
/// snapshots, as one run over all their files would give.
pub fn merge(
    snapshots: &[PathBuf],
    out: &Path,
    period: Period,
    snapshot: Option<&Path>,
    dsr: &outputs::DsrInfo,
) -> Result<(), String> {
    let mut all: Option<Snapshot> = None;
    for p in snapshots {
        let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
        let snap = Snapshot::from_bytes(&bytes).map_err(|e| format!("{}: {e}", p.display()))?;
        all = Some(match all {
            None => snap,
            Some(a) => a.merge(snap).map_err(|e| format!("{}: {e}", p.display()))?,
        });
    }
    let snap = all.ok_or("no snapshot given")?;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    if let Some(path) = snapshot {
        save_snapshot(path, &snap)?;
    }
    let files = snap.files.len() as u64;
    write_outputs(
        out,
        &snap.summary,
        &snap.settings,
        &Anonymize::None,
        period,
        &[("snapshot_files", files)],
        dsr,
    )
}
