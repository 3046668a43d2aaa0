//! The command line: subcommands and flags. Every definition's default is
//! `Settings::default()`'s, so the CLI and the page cannot disagree.

use clap::{Args, Parser, Subcommand, ValueEnum};
use s3logdrop::bots::BotRule;
use s3logdrop::gen::GenConfig;
use s3logdrop::period::Period;
use s3logdrop::settings::Settings;
use std::path::PathBuf;

fn defaults() -> Settings {
    Settings::default()
}

#[derive(Parser)]
#[command(
    name = "s3logdrop",
    version,
    about = "Download statistics from S3 server access logs, computed locally."
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand)]
// Parsed once per run: the size of its largest variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Cmd {
    /// Analyse logs: print a JSON summary and write the output files into --out.
    Analyze {
        /// Log files or folders (read recursively; plain or gzip), or s3://BUCKET/PREFIX.
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
        /// The period of the chart (every period has its CSV).
        #[arg(long, value_enum, default_value_t = Period::Week)]
        period: Period,
        /// Threads (default: the machine's cores, at most 8). Results do not depend on it.
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
        /// Bytes per read (results do not depend on it).
        #[arg(long, default_value_t = 256 * 1024, hide = true)]
        chunk_size: usize,
        /// Size of the byte ranges a big plain file is cut into for the threads
        /// (results do not depend on it).
        #[arg(long, default_value_t = s3logdrop::range::RANGE_BYTES, hide = true)]
        range_bytes: u64,
        /// Keep counting: read this snapshot if it exists, skip the log files it counted,
        /// read the rest, write it back (atomically), and write the outputs of all.
        #[arg(long, value_name = "FILE")]
        snapshot: Option<PathBuf>,
        #[command(flatten)]
        dsr: DsrArgs,
        #[command(flatten)]
        s3: S3Flags,
    },
    /// The outputs of several snapshots put together, as one run over all their files.
    Merge {
        /// Snapshot files (made with the same settings).
        #[arg(required = true)]
        snapshots: Vec<PathBuf>,
        /// Folder for the output files (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Also write the merged snapshot to this file.
        #[arg(long, value_name = "FILE")]
        snapshot: Option<PathBuf>,
        /// The period of the chart (every period has its CSV).
        #[arg(long, value_enum, default_value_t = Period::Week)]
        period: Period,
        #[command(flatten)]
        dsr: DsrArgs,
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
    /// Where addresses are: the country of each IP from the table built into s3logdrop
    /// (nothing is sent anywhere).
    Geo {
        /// IPv4 or IPv6 addresses.
        #[arg(required_unless_present = "sources")]
        ips: Vec<String>,
        /// Output format: a table for people, or one JSON object a line.
        #[arg(long, value_enum, default_value = "table")]
        format: GeoFormat,
        /// Print where the tables come from (name, version, date, licence) first.
        #[arg(long)]
        sources: bool,
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
        #[command(flatten)]
        config: GenArgs,
    },
}

/// What `generate` writes.
#[derive(Args)]
pub struct GenArgs {
    /// Seed.
    #[arg(long, default_value_t = GenConfig::default().seed)]
    seed: u64,
    /// Nasty lines per thousand.
    #[arg(long, default_value_t = GenConfig::default().nasty_per_mille)]
    nasty: u32,
    /// Mean seconds between two lines (larger spreads the logs over more weeks).
    #[arg(long, default_value_t = GenConfig::default().mean_gap)]
    mean_gap: u32,
    /// Distinct client addresses.
    #[arg(long, default_value_t = GenConfig::default().clients)]
    clients: u32,
}

impl GenArgs {
    pub fn config(&self) -> GenConfig {
        GenConfig {
            seed: self.seed,
            nasty_per_mille: self.nasty,
            mean_gap: self.mean_gap,
            clients: self.clients,
            ..GenConfig::default()
        }
    }
}

#[derive(Copy, Clone, ValueEnum)]
pub enum GeoFormat {
    /// Aligned columns.
    Table,
    /// One JSON object a line.
    Jsonl,
}

#[derive(Copy, Clone, ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
}

#[derive(Copy, Clone, ValueEnum)]
pub enum AnonArg {
    None,
    Hash,
    Network,
}

/// The definitions, one flag each (see `Settings` for what each means).
#[derive(Args)]
pub struct SettingsArgs {
    /// Bot rule: default (bot/crawl except the AWS SDKs), lab (the lab's exact rule), counter (COUNTER-Robots list), off.
    #[arg(long, value_enum, default_value_t = defaults().bots)]
    bots: BotRule,
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
    /// Do not count downloads from cloud and hosting networks (AWS's published ranges and
    /// the networks of Google Cloud, Azure, Hetzner, OVH… by AS number; see `geo --sources`).
    #[arg(long)]
    exclude_cloud: bool,
    /// First day counted (YYYY-MM-DD, UTC).
    #[arg(long)]
    since: Option<String>,
    /// Last day counted (YYYY-MM-DD, UTC).
    #[arg(long)]
    until: Option<String>,
    /// Count only keys under this prefix.
    #[arg(long)]
    prefix: Option<String>,
    /// A key's dataset is its folder cut to this many path segments (`zarr/<id>` with 2).
    #[arg(long, alias = "prefix-segments", default_value_t = defaults().dataset_segments)]
    dataset_segments: u32,
    /// Datasets by key prefix: a CSV file of rows `prefix,name,doi` (the longest matching
    /// prefix wins; other keys are "other").
    #[arg(long, value_name = "FILE")]
    datasets: Option<PathBuf>,
    /// Longest line accepted, in bytes.
    #[arg(long, default_value_t = defaults().max_line_bytes)]
    max_line_bytes: u64,
    /// Stop inflating a gzip file after this many bytes.
    #[arg(long, default_value_t = defaults().max_inflated_bytes)]
    max_inflated_bytes: u64,
    /// Stop inflating a gzip file past 1 GiB and this many times its size (0: off).
    #[arg(long, default_value_t = defaults().max_inflate_ratio)]
    max_inflate_ratio: u64,
    /// For publication: round unique-user counts to 10 and show counts from 1 to 9 as
    /// `<10` in the CSVs, the methods and the chart's title (summary.json stays exact).
    #[arg(long)]
    publication_rounding: bool,
    /// Also count by the COUNTER Code of Practice for Research Data (investigations and
    /// requests per dataset, month and access method): writes counter_metrics.csv and
    /// counter_report.json.
    #[arg(long)]
    counter: bool,
}

/// How to reach S3 for `s3://BUCKET/PREFIX` paths (credentials: the environment or
/// `~/.aws/credentials`).
#[derive(Args)]
pub struct S3Flags {
    /// An S3-compatible endpoint instead of AWS (MinIO, Ceph, a local test server).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// The log bucket's region (default: AWS_REGION, ~/.aws/config, else us-east-1; a
    /// bucket in another region is followed).
    #[arg(long)]
    region: Option<String>,
    /// The profile of ~/.aws/credentials to use.
    #[arg(long)]
    profile: Option<String>,
}

impl S3Flags {
    /// As the S3 reader takes them.
    pub fn args(&self) -> crate::cli::s3::S3Args {
        crate::cli::s3::S3Args {
            endpoint_url: self.endpoint_url.clone(),
            region: self.region.clone(),
            profile: self.profile.clone(),
        }
    }
}

/// Who publishes the COUNTER report (its header and datasets; not in the logs).
#[derive(Args)]
pub struct DsrArgs {
    /// The platform (your repository's name) in counter_report.json.
    #[arg(long, value_name = "NAME", default_value = "")]
    counter_platform: String,
    /// The datasets' publisher in counter_report.json.
    #[arg(long, value_name = "NAME", default_value = "")]
    counter_publisher: String,
    /// The publisher's DataCite client ID (e.g. `cern.zenodo`) in counter_report.json.
    #[arg(long, value_name = "ID", default_value = "")]
    counter_publisher_id: String,
}

impl DsrArgs {
    /// The report's publisher, made today (UTC).
    pub fn info(&self) -> s3logdrop::outputs::DsrInfo {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        s3logdrop::outputs::DsrInfo {
            platform: self.counter_platform.clone(),
            publisher: self.counter_publisher.clone(),
            publisher_id: self.counter_publisher_id.clone(),
            created: s3logdrop::time::iso_date(s3logdrop::time::day_of(now)),
        }
    }
}

impl SettingsArgs {
    /// The settings these flags give (the error: a mapping file that cannot be read).
    pub fn settings(&self) -> Result<Settings, String> {
        let d = defaults();
        let datasets = match &self.datasets {
            None => Vec::new(),
            Some(p) => {
                let text =
                    std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
                s3logdrop::datasets::parse_mapping(&text)
                    .map_err(|e| format!("{}: {e}", p.display()))?
            }
        };
        Ok(Settings {
            include_website: self.include_website,
            include_206: self.include_206,
            require_sizes: !self.allow_missing_sizes,
            bots: self.bots,
            exclude_ips: self.exclude_ip.clone(),
            exclude_aws_internal: !self.keep_aws_internal,
            exclude_cloud: self.exclude_cloud,
            since: self.since.clone(),
            until: self.until.clone(),
            prefix: self.prefix.clone(),
            dataset_segments: self.dataset_segments,
            datasets,
            max_line_bytes: self.max_line_bytes,
            max_inflated_bytes: self.max_inflated_bytes,
            max_inflate_ratio: self.max_inflate_ratio,
            publication_rounding: self.publication_rounding,
            counter: self.counter,
            ..d
        })
    }
}
