//! The native command-line tool: the automation path and the benchmark vehicle. It drives
//! the same session as the page's workers, so its results are the page's results.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(cli::main());
}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use clap::{Args, Parser as ClapParser, Subcommand, ValueEnum};
    use s3logdrop::bots::BotRule;
    use s3logdrop::gen::{delivery_name, GenConfig, Generator};
    use s3logdrop::outputs::{self, Anonymize, FileSink};
    use s3logdrop::parse::{f, Record, Reject, FIELD_NAMES};
    use s3logdrop::pool::{self, Input, PoolOptions};
    use s3logdrop::report::Report;
    use s3logdrop::session::{Session, Sink};
    use s3logdrop::settings::Settings;
    use s3logdrop::text::{lossy, spreadsheet_safe};
    use s3logdrop::time::rfc3339;
    use serde_json::{json, Map, Value};
    use std::fs::File;
    use std::io::{self, BufWriter, Write};
    use std::path::{Path, PathBuf};

    #[derive(ClapParser)]
    #[command(
        name = "s3logdrop",
        version,
        about = "Download statistics from S3 server access logs, computed locally."
    )]
    struct Cli {
        #[command(subcommand)]
        cmd: Cmd,
    }

    #[derive(Subcommand)]
    enum Cmd {
        /// Analyse logs: print a JSON summary and write the output files into --out.
        Analyze {
            /// Log files or folders (read recursively); plain or gzip.
            #[arg(required = true)]
            paths: Vec<PathBuf>,
            /// Folder for the output files (created if missing).
            #[arg(long)]
            out: PathBuf,
            #[command(flatten)]
            settings: SettingsArgs,
            /// How remote IPs appear in parsed_output*.csv.
            #[arg(long, value_enum, default_value = "none")]
            anonymize: AnonArg,
            /// Threads (default: the machine's cores, at most 8). Results do not depend on it.
            #[arg(long, short = 'j')]
            jobs: Option<usize>,
            /// Bytes per read (results do not depend on it).
            #[arg(long, default_value_t = 256 * 1024, hide = true)]
            chunk_size: usize,
            /// Size of the byte ranges a big plain file is cut into for the threads
            /// (results do not depend on it).
            #[arg(long, default_value_t = 32 << 20, hide = true)]
            range_bytes: u64,
        },
        /// Print every line's outcome and fields, in input order.
        Parse {
            /// Log files or folders.
            #[arg(required = true)]
            paths: Vec<PathBuf>,
            /// Output format.
            #[arg(long, value_enum, default_value = "jsonl")]
            format: Format,
        },
        /// Write deterministic realistic logs (for tests and benchmarks); prints what it wrote.
        Generate {
            /// Output folder.
            #[arg(long)]
            out: PathBuf,
            /// Total bytes of log text to write.
            #[arg(long, default_value_t = 10_000_000)]
            bytes: u64,
            /// Number of files (S3 delivers many small ones).
            #[arg(long, default_value_t = 1)]
            files: u64,
            /// Compress each file with gzip.
            #[arg(long)]
            gzip: bool,
            /// Seed.
            #[arg(long, default_value_t = 1)]
            seed: u64,
            /// Nasty lines per thousand.
            #[arg(long, default_value_t = 5)]
            nasty: u32,
            /// Mean seconds between two lines (larger spreads the logs over more weeks).
            #[arg(long, default_value_t = 2)]
            mean_gap: u32,
            /// Distinct client addresses.
            #[arg(long, default_value_t = 5_000)]
            clients: u32,
        },
    }

    #[derive(Copy, Clone, ValueEnum)]
    enum Format {
        Jsonl,
        Csv,
    }

    #[derive(Copy, Clone, ValueEnum)]
    enum AnonArg {
        None,
        Hash,
        Network,
    }

    #[derive(Copy, Clone, ValueEnum)]
    enum BotArg {
        Default,
        Lab,
        Counter,
        Off,
    }

    #[derive(Args)]
    struct SettingsArgs {
        /// Bot rule: default (bot/crawl except the AWS SDKs), lab (the lab's exact rule), counter (COUNTER-Robots list), off.
        #[arg(long, value_enum, default_value = "default")]
        bots: BotArg,
        /// Also count WEBSITE.GET.OBJECT.
        #[arg(long)]
        include_website: bool,
        /// Also count status 206 (partial content).
        #[arg(long = "include-206")]
        include_206: bool,
        /// Count downloads even when bytes_sent or object_size is missing.
        #[arg(long)]
        allow_missing_sizes: bool,
        /// Exclude an IP or CIDR range (repeatable).
        #[arg(long = "exclude-ip", value_name = "CIDR")]
        exclude_ip: Vec<String>,
        /// Count AWS-internal requests too (remote_ip `-`, requester svc:... or AmazonS3).
        #[arg(long)]
        keep_aws_internal: bool,
        /// First day counted (YYYY-MM-DD, UTC).
        #[arg(long)]
        since: Option<String>,
        /// Last day counted (YYYY-MM-DD, UTC).
        #[arg(long)]
        until: Option<String>,
        /// Count only keys under this prefix.
        #[arg(long)]
        prefix: Option<String>,
        /// Path segments per group in top_prefixes.csv.
        #[arg(long, default_value_t = 2)]
        prefix_segments: u32,
        /// Longest line accepted, in bytes.
        #[arg(long, default_value_t = 1 << 20)]
        max_line_bytes: u64,
        /// Stop inflating a gzip file after this many bytes.
        #[arg(long, default_value_t = 256 << 30)]
        max_inflated_bytes: u64,
        /// Stop inflating a gzip file past 1 GiB and this many times its size (0: off).
        #[arg(long, default_value_t = 250)]
        max_inflate_ratio: u64,
    }

    impl SettingsArgs {
        fn settings(&self) -> Settings {
            Settings {
                include_website: self.include_website,
                include_206: self.include_206,
                require_sizes: !self.allow_missing_sizes,
                bots: match self.bots {
                    BotArg::Default => BotRule::Default,
                    BotArg::Lab => BotRule::Lab,
                    BotArg::Counter => BotRule::Counter,
                    BotArg::Off => BotRule::Off,
                },
                exclude_ips: self.exclude_ip.clone(),
                exclude_aws_internal: !self.keep_aws_internal,
                since: self.since.clone(),
                until: self.until.clone(),
                prefix: self.prefix.clone(),
                prefix_segments: self.prefix_segments,
                max_line_bytes: self.max_line_bytes,
                max_inflated_bytes: self.max_inflated_bytes,
                max_inflate_ratio: self.max_inflate_ratio,
                ..Settings::default()
            }
        }
    }

    /// Files given, and files under folders given (recursively, an explicit stack), sorted
    /// by name. A folder's files are named `FOLDER/relative/path`, as a browser names the
    /// files of a dropped folder. The folder `skip` (the output folder) is not walked.
    fn collect(paths: &[PathBuf], skip: Option<&Path>) -> (Vec<Input>, Vec<(String, String)>) {
        let skip = skip.and_then(|p| p.canonicalize().ok());
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for p in paths {
            if p.is_dir() {
                let root_name = p
                    .canonicalize()
                    .ok()
                    .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .unwrap_or_else(|| p.display().to_string());
                let mut stack = vec![p.clone()];
                while let Some(dir) = stack.pop() {
                    let entries = match std::fs::read_dir(&dir) {
                        Ok(e) => e,
                        Err(e) => {
                            errors.push((dir.display().to_string(), e.to_string()));
                            continue;
                        }
                    };
                    for entry in entries.flatten() {
                        let path = entry.path();
                        if path.is_dir() {
                            if skip.is_none() || path.canonicalize().ok() != skip {
                                stack.push(path);
                            }
                        } else {
                            let rel = path.strip_prefix(p).unwrap_or(&path);
                            let name =
                                format!("{root_name}/{}", rel.to_string_lossy().replace('\\', "/"));
                            out.push(Input { path, name });
                        }
                    }
                }
            } else {
                out.push(Input {
                    path: p.clone(),
                    name: p.to_string_lossy().into_owned(),
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        (out, errors)
    }

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

    fn analyze(
        paths: &[PathBuf],
        out: &Path,
        settings: Settings,
        anon: AnonArg,
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
            pool::run_serial(&mut session, &inputs, pool_options.chunk_size);
            let (summary, mut sink) = session.finish();
            sink.flush()
                .map_err(|e| format!("writing the row exports: {e}"))?;
            summary
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
            summary.file_notes.push(s3logdrop::summary::FileNote {
                file: file.clone(),
                kind: "read_error".into(),
                message: format!("could not be read: {e}"),
            });
        }
        summary.normalize();
        let report = Report::new(&summary);
        for name in outputs::SUMMARY_OUTPUTS {
            write_file(out, name, |w| {
                outputs::write_summary_output(name, w, &summary, &report, &settings, &anon)
            })?;
        }
        let opt = s3logdrop::chart::ChartOptions {
            unique_users: report.unique_users,
            ..Default::default()
        };
        s3logdrop::chart::write_png(
            &out.join("downloads_over_time.png"),
            &report.weeks,
            &opt,
            (1200, 700),
        )?;
        for n in &report.file_notes {
            eprintln!("note: {}: {} ({})", n.file, n.message, n.kind);
        }
        let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        // A closed pipe (`| head`) is not an error worth a panic.
        let _ = writeln!(io::stdout(), "{json}");
        Ok(())
    }

    /// Writes one line's outcome per input line.
    struct LineWriter<W: Write> {
        out: W,
        csv: Option<csv::Writer<W>>,
        error: Option<io::Error>,
    }

    fn fields_json(rec: &Record<'_>) -> Value {
        let mut m = Map::new();
        for (i, name) in FIELD_NAMES.iter().enumerate() {
            let v = match i {
                f::TIME => json!(rfc3339(rec.time)),
                f::HTTP_STATUS => json!(rec.http_status),
                f::BYTES_SENT => json!(rec.bytes_sent),
                f::OBJECT_SIZE => json!(rec.object_size),
                f::TOTAL_TIME => json!(rec.total_time),
                f::TURN_AROUND_TIME => json!(rec.turn_around_time),
                _ => rec
                    .field(i)
                    .map_or(Value::Null, |b| Value::String(lossy(b).into_owned())),
            };
            m.insert(name.to_string(), v);
        }
        Value::Object(m)
    }

    impl<W: Write> LineWriter<W> {
        fn emit(
            &mut self,
            file: &str,
            line: u64,
            outcome: &str,
            reason: Option<Reject>,
            rec: Option<&Record<'_>>,
        ) {
            if self.error.is_some() {
                return;
            }
            let r = if let Some(csv) = self.csv.as_mut() {
                let mut row = vec![
                    spreadsheet_safe(file).into_owned(),
                    line.to_string(),
                    outcome.to_string(),
                    reason.map_or(String::new(), |r| r.name().to_string()),
                ];
                for i in 0..FIELD_NAMES.len() {
                    row.push(match (rec, i) {
                        (None, _) => String::new(),
                        (Some(r), f::TIME) => rfc3339(r.time),
                        (Some(r), _) => r
                            .field(i)
                            .map_or(String::new(), |b| spreadsheet_safe(&lossy(b)).into_owned()),
                    });
                }
                csv.write_record(&row).map_err(io::Error::other)
            } else {
                let mut v = json!({"file": file, "line": line, "outcome": outcome});
                if let Some(r) = reason {
                    v["reason"] = json!(r.name());
                }
                if let Some(rec) = rec {
                    v["fields"] = fields_json(rec);
                }
                serde_json::to_writer(&mut self.out, &v)
                    .map_err(io::Error::other)
                    .and_then(|_| self.out.write_all(b"\n"))
            };
            if let Err(e) = r {
                self.error = Some(e);
            }
        }
    }

    impl<W: Write> Sink for LineWriter<W> {
        fn parsed(&mut self, rec: &Record<'_>, file: &str, line_no: u64) {
            self.emit(file, line_no, "parsed", None, Some(rec));
        }
        fn blank(&mut self, file: &str, line_no: u64) {
            self.emit(file, line_no, "blank", None, None);
        }
        fn rejected(&mut self, reason: Reject, file: &str, line_no: u64, _text: &[u8]) {
            self.emit(file, line_no, "rejected", Some(reason), None);
        }
    }

    fn parse_cmd(paths: &[PathBuf], format: Format) -> Result<(), String> {
        let stdout = io::stdout().lock();
        let (out, csv) = match format {
            Format::Jsonl => (BufWriter::new(stdout), None),
            Format::Csv => {
                let mut w = outputs::csv_writer(BufWriter::new(io::stdout().lock()));
                let mut header = vec!["file", "line", "outcome", "reason"];
                header.extend(FIELD_NAMES);
                w.write_record(&header).map_err(|e| e.to_string())?;
                (BufWriter::new(stdout), Some(w))
            }
        };
        let sink = LineWriter {
            out,
            csv,
            error: None,
        };
        let mut settings = Settings::default();
        settings.bots = BotRule::Off;
        let mut session = Session::with_sink(&settings, sink)?;
        let (inputs, errors) = collect(paths, None);
        pool::run_serial(&mut session, &inputs, 256 * 1024);
        let (summary, mut sink) = session.finish();
        if let Some(c) = sink.csv.as_mut() {
            c.flush().map_err(|e| e.to_string())?;
        }
        sink.out.flush().map_err(|e| e.to_string())?;
        if let Some(e) = sink.error {
            return Err(e.to_string());
        }
        for n in &summary.file_notes {
            eprintln!("note: {}: {} ({})", n.file, n.message, n.kind);
        }
        for (file, e) in errors {
            eprintln!("note: {file}: could not be read: {e}");
        }
        Ok(())
    }

    fn generate(
        out: &Path,
        bytes: u64,
        files: u64,
        gzip: bool,
        config: GenConfig,
    ) -> Result<(), String> {
        std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
        let seed = config.seed;
        let mut g = Generator::new(config);
        let files = files.max(1);
        let per_file = (bytes / files).max(1) as usize;
        let mut buf = Vec::with_capacity(per_file.min(64 << 20) + 4096);
        for i in 0..files {
            let name = delivery_name(g.now(), seed.wrapping_mul(1_000_003) ^ i)
                + if gzip { ".gz" } else { "" };
            let path = out.join(name);
            let file = File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let mut fill = |w: &mut dyn Write| -> io::Result<()> {
                let mut left = per_file;
                while left > 0 {
                    buf.clear();
                    g.fill(&mut buf, left.min(16 << 20));
                    left = left.saturating_sub(buf.len());
                    w.write_all(&buf)?;
                }
                Ok(())
            };
            let written = if gzip {
                let mut gz = flate2::write::GzEncoder::new(
                    BufWriter::new(file),
                    flate2::Compression::fast(),
                );
                fill(&mut gz)
                    .and_then(|_| gz.finish())
                    .and_then(|mut w| w.flush())
            } else {
                let mut w = BufWriter::new(file);
                fill(&mut w).and_then(|_| w.flush())
            };
            written.map_err(|e| format!("{}: {e}", path.display()))?;
        }
        let t = &g.truth;
        println!(
            "{}",
            json!({"files": files, "bytes": t.bytes, "lines": t.lines, "blank": t.blank, "rejected": t.rejected,
                   "parsed": t.lines - t.blank - t.rejected, "downloads_default": t.downloads})
        );
        Ok(())
    }

    pub fn main() -> i32 {
        let cli = Cli::parse();
        let r = match cli.cmd {
            Cmd::Analyze {
                paths,
                out,
                settings,
                anonymize,
                jobs,
                chunk_size,
                range_bytes,
            } => {
                let mut pool_options =
                    PoolOptions::new(jobs.unwrap_or_else(pool::default_jobs), &out);
                pool_options.chunk_size = chunk_size;
                pool_options.range_bytes = range_bytes;
                analyze(&paths, &out, settings.settings(), anonymize, pool_options)
            }
            Cmd::Parse { paths, format } => parse_cmd(&paths, format),
            Cmd::Generate {
                out,
                bytes,
                files,
                gzip,
                seed,
                nasty,
                mean_gap,
                clients,
            } => generate(
                &out,
                bytes,
                files,
                gzip,
                GenConfig {
                    seed,
                    nasty_per_mille: nasty,
                    mean_gap,
                    clients,
                    ..GenConfig::default()
                },
            ),
        };
        match r {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("s3logdrop: {e}");
                1
            }
        }
    }
}
