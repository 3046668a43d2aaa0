//! The native command line (`s3logdrop analyze | merge | parse | geo | generate`), one file a
//! subcommand; `args` has the flags.

mod analyze;
mod args;
mod generate;
mod geo;
mod parse;
mod s3;
mod walk;

use args::{Cli, Cmd};
use clap::Parser;
use s3logdrop::pool::{self, PoolOptions};

/// Runs the command line; the process's exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Analyze {
            paths,
            out,
            settings,
            anonymize,
            period,
            jobs,
            chunk_size,
            range_bytes,
            snapshot,
            dsr,
            s3,
        } => {
            let mut pool_options = PoolOptions::new(jobs.unwrap_or_else(pool::default_jobs), &out);
            pool_options.chunk_size = chunk_size;
            pool_options.range_bytes = range_bytes;
            settings.settings().and_then(|settings| {
                analyze::analyze(analyze::AnalyzeArgs {
                    paths: &paths,
                    out: &out,
                    settings,
                    anon: anonymize,
                    period,
                    pool_options,
                    snapshot: snapshot.as_deref(),
                    dsr: dsr.info(),
                    s3: s3.args(),
                })
            })
        }
        Cmd::Merge {
            snapshots,
            out,
            snapshot,
            period,
            dsr,
        } => analyze::merge(&snapshots, &out, period, snapshot.as_deref(), &dsr.info()),
        Cmd::Parse { paths, format } => parse::parse_cmd(&paths, format),
        Cmd::Geo {
            ips,
            format,
            sources,
        } => geo::geo(&ips, format, sources),
        Cmd::Generate {
            out,
            bytes,
            files,
            gzip,
            config,
        } => generate::generate(&out, bytes, files, gzip, config.config()),
    };
    match r {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("s3logdrop: {e}");
            1
        }
    }
}
