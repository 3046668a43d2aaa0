//! `s3logdrop analyze`: the summary on stdout and every output file in `--out`.

use super::args::AnonArg;
use super::walk::collect;
use s3logdrop::chart::{self, ChartOptions};
use s3logdrop::outputs::{self, Anonymize, FileSink, Outputs};
use s3logdrop::period::Period;
use s3logdrop::pool::{self, PoolOptions};
use s3logdrop::report::Report;
use s3logdrop::session::Session;
use s3logdrop::settings::Settings;
use s3logdrop::summary::FileNote;
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

pub fn analyze(
    paths: &[PathBuf],
    out: &Path,
    settings: Settings,
    anon: AnonArg,
    period: Period,
    mut pool_options: PoolOptions,
) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let anon = match anon {
        AnonArg::None => Anonymize::None,
        AnonArg::Network => Anonymize::Network,
        AnonArg::Hash => {
            let mut salt = [0u8; 16];
            getrandom::fill(&mut salt).map_err(|e| format!("no random salt: {e}"))?;
            Anonymize::Hash { salt }
        }
    };
    let create = |name: &str| -> Result<BufWriter<File>, String> {
        let p = out.join(name);
        new_file(&p)
            .map(BufWriter::new)
            .map_err(|e| format!("{}: {e}", p.display()))
    };
    // Results written inside a folder of logs are not read back as logs.
    let (inputs, errors) = collect(paths, Some(out));
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
    let report = Report::new(&summary);
    let made = Outputs {
        summary: &summary,
        report: &report,
        settings: &settings,
        anon: &anon,
        period,
    };
    for name in outputs::SUMMARY_OUTPUTS {
        write_file(out, name, |w| made.write(name, w))?;
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
    for n in &report.file_notes {
        eprintln!("note: {}: {} ({})", n.file, n.message, n.kind);
    }
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = writeln!(io::stdout(), "{json}");
    Ok(())
}
