//! The output files of DESIGN.md, written through the `csv` crate (RFC 4180, CRLF) with
//! every text cell made spreadsheet-safe (see [`crate::text::spreadsheet_safe`]).

use crate::counter::{CounterRow, Metrics};
use crate::geo::tally::{CountryRow, NetworkRow};
use crate::ip::IpKey;
use crate::parse::{Parser, Record, Reject};
use crate::period::Period;
use crate::publish::{decimal_cell, shown, Kind};
use crate::report::{self, CounterReport, DatasetRow, ObjectRow, PeriodRow, Report};
use crate::session::{At, Sink};
use crate::settings::Settings;
use crate::summary::Summary;
use crate::text::{lossy, printable, spreadsheet_safe};
use crate::time::{day_of, push_iso_date, push_rfc3339};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::io::{self, Write};

/// How remote IPs appear in the row exports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Anonymize {
    /// As in the log.
    #[default]
    None,
    /// SHA-256 of a per-run random salt and the address: the same user has the same
    /// pseudonym within one export, and the salt is never written anywhere.
    Hash {
        /// The per-run salt.
        salt: [u8; 16],
    },
    /// The /24 (IPv4) or /48 (IPv6) network.
    Network,
}

impl Anonymize {
    fn ip<'a>(&self, raw: &'a [u8], key: Option<IpKey>) -> Cow<'a, str> {
        Cow::Owned(match (self, key) {
            (Anonymize::None, _) | (_, None) => return lossy(raw),
            (Anonymize::Hash { salt }, Some(k)) => {
                let mut h = Sha256::new();
                h.update(salt);
                h.update(k.0.to_be_bytes());
                let d = h.finalize();
                d[..16].iter().map(|b| format!("{b:02x}")).collect()
            }
            (Anonymize::Network, Some(k)) => k.network(),
        })
    }
}

/// Header of `parsed_output.csv` and `parsed_output_filt.csv` (the lab's columns first).
pub const ROW_HEADER: [&str; 9] = [
    "date",
    "remote_ip",
    "operation",
    "status",
    "bytes",
    "user_agent",
    "object_size",
    "time",
    "key",
];

/// An error of the csv crate as the I/O error it wraps (a full disk stays a full disk).
fn csv_error(e: csv::Error) -> io::Error {
    if !e.is_io_error() {
        return io::Error::other(e);
    }
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// A CSV writer with the project's dialect: RFC 4180 quoting, CRLF line ends.
pub fn csv_writer<W: Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(w)
}

/// A text cell, spreadsheet-safe; written without a copy when it is valid UTF-8 and safe
/// as it is (most cells: `lossy` and `spreadsheet_safe` borrow then).
fn text_field<W: Write>(w: &mut csv::Writer<W>, v: Option<&[u8]>) -> csv::Result<()> {
    let Some(b) = v else {
        return w.write_field(b"");
    };
    let text = lossy(b);
    w.write_field(spreadsheet_safe(&text).as_bytes())
}

fn num_field<W: Write>(w: &mut csv::Writer<W>, v: Option<u64>) -> csv::Result<()> {
    match v {
        Some(v) => w.write_field(itoa::Buffer::new().format(v)),
        None => w.write_field(b""),
    }
}

/// Writes one download row. Row exports have a row per download (millions), so the
/// fields are written as they are, allocating only for text that must change (invalid
/// UTF-8, a formula-like cell, an anonymised IP); `scratch` holds the dates.
pub fn write_row<W: Write>(
    w: &mut csv::Writer<W>,
    rec: &Record<'_>,
    anon: &Anonymize,
    scratch: &mut Vec<u8>,
) -> io::Result<()> {
    let ip = anon.ip(rec.head[crate::parse::f::REMOTE_IP], rec.remote_ip);
    let mut row = || -> csv::Result<()> {
        scratch.clear();
        push_iso_date(scratch, day_of(rec.time));
        w.write_field(&scratch[..])?;
        w.write_field(spreadsheet_safe(&ip).as_bytes())?;
        text_field(w, Some(rec.operation()))?;
        num_field(w, rec.http_status.map(u64::from))?;
        num_field(w, rec.bytes_sent)?;
        text_field(w, rec.user_agent())?;
        num_field(w, rec.object_size)?;
        scratch.clear();
        push_rfc3339(scratch, rec.time);
        w.write_field(&scratch[..])?;
        text_field(w, rec.key())?;
        w.write_record(None::<&[u8]>)
    };
    row().map_err(csv_error)
}

/// Streams `parsed_output.csv` and `rejected_lines.txt` while the session runs.
pub struct FileSink<P: Write, R: Write> {
    rows: csv::Writer<P>,
    rejected: R,
    anon: Anonymize,
    scratch: Vec<u8>,
}

impl<P: Write, R: Write> FileSink<P, R> {
    /// Writes both headers.
    pub fn new(parsed_output: P, mut rejected_lines: R, anon: Anonymize) -> io::Result<Self> {
        rejected_lines.write_all(REJECTED_HEADER.as_bytes())?;
        let mut sink = FileSink::headless(parsed_output, rejected_lines, anon);
        sink.rows.write_record(ROW_HEADER).map_err(csv_error)?;
        Ok(sink)
    }

    /// Writes no header: for rows that are appended to files already started.
    pub fn headless(parsed_output: P, rejected_lines: R, anon: Anonymize) -> Self {
        FileSink {
            rows: csv_writer(parsed_output),
            rejected: rejected_lines,
            anon,
            scratch: Vec::new(),
        }
    }

    /// Flushes both writers and hands them back.
    pub fn into_inner(mut self) -> io::Result<(P, R)> {
        self.flush()?;
        let rows = self
            .rows
            .into_inner()
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok((rows, self.rejected))
    }

    /// Flushes both files.
    pub fn flush(&mut self) -> io::Result<()> {
        self.rows.flush()?;
        self.rejected.flush()
    }
}

/// First line of `rejected_lines.txt`.
pub const REJECTED_HEADER: &str = "reason\tfile\tline_number\tline\n";

/// One line of `rejected_lines.txt`: tab-separated, the text made printable.
pub fn rejected_line(reason: Reject, file: &str, line_no: u64, text: &[u8]) -> String {
    format!(
        "{}\t{}\t{}\t{}\n",
        reason.name(),
        printable(file.as_bytes()),
        line_no,
        printable(text)
    )
}

impl<P: Write, R: Write> Sink for FileSink<P, R> {
    fn candidate(&mut self, rec: &Record<'_>, _at: At<'_>) -> io::Result<()> {
        write_row(&mut self.rows, rec, &self.anon, &mut self.scratch)
    }

    fn rejected(&mut self, reason: Reject, at: At<'_>, text: &[u8]) -> io::Result<()> {
        let line = rejected_line(reason, at.file, at.line, text);
        self.rejected.write_all(line.as_bytes())
    }
}

/// `parsed_output_filt.csv`: each user's first counted download, earliest first.
pub fn write_filtered<W: Write>(w: W, s: &Summary, anon: &Anonymize) -> io::Result<()> {
    let mut firsts: Vec<_> = s.users.iter().map(|(_, f)| f).collect();
    firsts.sort_by(|a, b| (a.time, &a.line).cmp(&(b.time, &b.line)));
    let mut out = csv_writer(w);
    out.write_record(ROW_HEADER).map_err(io::Error::other)?;
    let mut parser = Parser::new();
    let mut scratch = Vec::new();
    for f in firsts {
        let rec = parser.parse(f.line.as_bytes()).map_err(|r| {
            io::Error::other(format!("a stored line no longer parses ({})", r.name()))
        })?;
        write_row(&mut out, &rec, anon, &mut scratch)?;
    }
    out.flush()
}

/// The columns of every `downloads_per_<period>.csv`.
pub const PERIOD_HEADER: [&str; 7] = [
    "period_start",
    "period_end",
    "downloads",
    "new_unique_users",
    "active_unique_users",
    "bytes_sent",
    "partial",
];

fn period_cells(r: &PeriodRow, public: bool) -> [String; 7] {
    [
        r.period_start.clone(),
        r.period_end.clone(),
        shown(r.downloads, Kind::Count, public).to_string(),
        shown(r.new_unique_users, Kind::Users, public).to_string(),
        shown(r.active_unique_users, Kind::Users, public).to_string(),
        r.bytes_sent.to_string(),
        r.partial.to_string(),
    ]
}

/// `downloads_per_<period>.csv`: one row a period, partial ones marked; `public`: the
/// counts as published (see [`crate::publish`]).
pub fn write_periods<W: Write>(w: W, rows: &[PeriodRow], public: bool) -> io::Result<()> {
    let mut out = csv_writer(w);
    out.write_record(PERIOD_HEADER).map_err(csv_error)?;
    for r in rows {
        out.write_record(period_cells(r, public))
            .map_err(csv_error)?;
    }
    out.flush()
}

/// `downloads_per_dataset.csv`: one row a dataset, most downloaded first.
pub fn write_datasets<W: Write>(w: W, rows: &[DatasetRow], public: bool) -> io::Result<()> {
    let mut out = csv_writer(w);
    out.write_record([
        "dataset",
        "doi",
        "downloads",
        "unique_users",
        "bytes_sent",
        "full_download_equivalents",
        "first_download",
        "last_download",
    ])
    .map_err(csv_error)?;
    for r in rows {
        out.write_record([
            spreadsheet_safe(&r.dataset).into_owned(),
            spreadsheet_safe(&r.doi).into_owned(),
            shown(r.downloads, Kind::Count, public).to_string(),
            shown(r.unique_users, Kind::Users, public).to_string(),
            r.bytes_sent.to_string(),
            decimal_cell(r.full_download_equivalents, public),
            r.first_download.clone(),
            r.last_download.clone(),
        ])
        .map_err(csv_error)?;
    }
    out.flush()
}

/// `downloads_per_dataset_per_month.csv`: each dataset's months, in the order of
/// `downloads_per_dataset.csv`; a user is new in the month of their first counted
/// download of that dataset.
pub fn write_dataset_months<W: Write>(
    w: W,
    summary: &Summary,
    datasets: &[DatasetRow],
    public: bool,
) -> io::Result<()> {
    let mut out = csv_writer(w);
    let mut header = vec!["dataset"];
    header.extend(PERIOD_HEADER);
    out.write_record(header).map_err(csv_error)?;
    // One lookup table, not a search per dataset: an archive can have very many.
    let by_name: std::collections::HashMap<&str, &crate::summary::DatasetAgg> = summary
        .datasets
        .iter()
        .map(|d| (d.name.as_str(), d))
        .collect();
    let covered = report::covered_days(summary);
    for d in datasets {
        let name = spreadsheet_safe(&d.dataset);
        let days = by_name
            .get(d.dataset.as_str())
            .map_or(Vec::new(), |d| report::dataset_days(d));
        for r in report::period_rows(&days, Period::Month, covered) {
            let cells = period_cells(&r, public);
            out.write_record(
                std::iter::once(name.as_ref()).chain(cells.iter().map(String::as_str)),
            )
            .map_err(csv_error)?;
        }
    }
    out.flush()
}

/// `downloads_by_country.csv`: one row a country, most downloaded first, then the
/// downloads whose country is unknown (an empty code). No address is written.
pub fn write_countries<W: Write>(w: W, rows: &[CountryRow], public: bool) -> io::Result<()> {
    let rows = rows.iter().map(|r| {
        let names = [r.country_code.clone(), r.country.clone()];
        (names, r.downloads, r.unique_users, r.bytes_sent)
    });
    write_counts(w, ["country_code", "country"], rows, public)
}

/// `top_objects.csv`: every object key, most downloaded first.
pub fn write_objects<W: Write>(w: W, rows: &[ObjectRow], public: bool) -> io::Result<()> {
    let rows = rows.iter().map(|r| {
        let names = [
            spreadsheet_safe(&r.key).into_owned(),
            spreadsheet_safe(&r.key_decoded).into_owned(),
        ];
        (names, r.downloads, r.unique_users, r.bytes_sent)
    });
    write_counts(w, ["key", "key_decoded"], rows, public)
}

/// `downloads_by_network.csv`: one row a network (an AS; Amazon's split by AWS region),
/// most downloaded first, the unknown last (an empty `asn`). No address is written.
pub fn write_networks<W: Write>(w: W, rows: &[NetworkRow], public: bool) -> io::Result<()> {
    let rows = rows.iter().map(|r| {
        let names = [
            r.asn.map_or(String::new(), |a| a.to_string()),
            spreadsheet_safe(&r.network).into_owned(),
            r.cloud.clone(),
            r.aws_region.clone(),
        ];
        (names, r.downloads, r.unique_users, r.bytes_sent)
    });
    write_counts(w, ["asn", "network", "cloud", "aws_region"], rows, public)
}

/// A table of N name columns, then downloads, unique users and bytes sent.
fn write_counts<W: Write, const N: usize>(
    w: W,
    names: [&str; N],
    rows: impl Iterator<Item = ([String; N], u64, u64, u64)>,
    public: bool,
) -> io::Result<()> {
    let mut out = csv_writer(w);
    out.write_record(
        names
            .iter()
            .chain(&["downloads", "unique_users", "bytes_sent"]),
    )
    .map_err(csv_error)?;
    for (names, downloads, users, bytes_sent) in rows {
        let counts = [
            shown(downloads, Kind::Count, public).to_string(),
            shown(users, Kind::Users, public).to_string(),
            bytes_sent.to_string(),
        ];
        out.write_record(names.iter().chain(&counts))
            .map_err(csv_error)?;
    }
    out.flush()
}

/// The outputs made from the summary alone (not by a pass over the lines), by file name.
/// The CLI writes them all; the page offers each as a download. One function for both,
/// so their bytes are the same.
pub const SUMMARY_OUTPUTS: [&str; 13] = [
    "parsed_output_filt.csv",
    "downloads_per_day.csv",
    "downloads_per_week.csv",
    "downloads_per_month.csv",
    "downloads_per_quarter.csv",
    "downloads_per_year.csv",
    "downloads_per_dataset.csv",
    "downloads_per_dataset_per_month.csv",
    "downloads_by_country.csv",
    "downloads_by_network.csv",
    "top_objects.csv",
    "methods.txt",
    "summary.json",
];

/// What the summary outputs are made from.
pub struct Outputs<'a> {
    /// The analysis.
    pub summary: &'a Summary,
    /// Its report.
    pub report: &'a Report,
    /// The settings it was made with.
    pub settings: &'a Settings,
    /// How IPs appear in `parsed_output_filt.csv`.
    pub anon: &'a Anonymize,
    /// The period the report is read by (the methods paragraph names it).
    pub period: Period,
}

impl Outputs<'_> {
    /// Writes the summary output called `name` (one of [`SUMMARY_OUTPUTS`]).
    pub fn write<W: Write>(&self, name: &str, mut w: W) -> io::Result<()> {
        let report = self.report;
        let public = self.settings.publication_rounding;
        if let Some(p) = name
            .strip_prefix("downloads_per_")
            .and_then(|n| n.strip_suffix(".csv"))
            .and_then(Period::from_name)
        {
            return write_periods(w, report.periods.get(p), public);
        }
        match name {
            "parsed_output_filt.csv" => write_filtered(w, self.summary, self.anon),
            "downloads_per_dataset.csv" => write_datasets(w, &report.datasets, public),
            "downloads_per_dataset_per_month.csv" => {
                write_dataset_months(w, self.summary, &report.datasets, public)
            }
            "downloads_by_country.csv" => write_countries(w, &report.countries, public),
            "downloads_by_network.csv" => write_networks(w, &report.networks, public),
            "top_objects.csv" => {
                write_objects(w, &report::top_objects(self.summary, usize::MAX), public)
            }
            "methods.txt" => {
                let text = crate::methods::paragraph(self.settings, report, self.period);
                w.write_all(text.as_bytes())?;
                w.write_all(b"\n")?;
                w.flush()
            }
            "summary.json" => {
                serde_json::to_writer_pretty(&mut w, report).map_err(io::Error::other)?;
                w.flush()
            }
            other => Err(io::Error::other(format!("no output called {other}"))),
        }
    }
}

/// The COUNTER outputs, written when the setting `counter` is on.
pub const COUNTER_OUTPUTS: [&str; 2] = ["counter_metrics.csv", "counter_report.json"];

/// `counter_metrics.csv`: COUNTER's four metrics and the volume per dataset, month and
/// access method (raw counts: COUNTER reports are not rounded).
pub fn write_counter_metrics<W: Write>(w: W, rows: &[CounterRow]) -> io::Result<()> {
    let mut out = csv_writer(w);
    out.write_record([
        "dataset",
        "doi",
        "month",
        "access_method",
        "total_dataset_investigations",
        "unique_dataset_investigations",
        "total_dataset_requests",
        "unique_dataset_requests",
        "volume_bytes",
    ])
    .map_err(csv_error)?;
    for r in rows {
        let m = &r.metrics;
        out.write_record([
            spreadsheet_safe(&r.dataset).as_ref(),
            spreadsheet_safe(&r.doi).as_ref(),
            &r.month,
            r.access.name(),
            &m.total_investigations.to_string(),
            &m.unique_investigations.to_string(),
            &m.total_requests.to_string(),
            &m.unique_requests.to_string(),
            &m.volume.to_string(),
        ])
        .map_err(csv_error)?;
    }
    out.flush()
}

/// Who publishes the report, for `counter_report.json`'s header and datasets (DataCite
/// asks for them; they are not in the logs).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DsrInfo {
    /// The platform (the repository's name): `platform` and `created-by`.
    pub platform: String,
    /// The datasets' publisher.
    pub publisher: String,
    /// The publisher's DataCite client ID (`publisher-id` of type `client-id`).
    pub publisher_id: String,
    /// When the report was made, `YYYY-MM-DD`.
    pub created: String,
}

/// `counter_report.json`: the COUNTER dataset report (DSR, release rd1) that DataCite's
/// usage reports API takes: the header with the reporting period (the months of the
/// rows), and per dataset with a DOI its months, each with an instance per metric and
/// access method that is not zero, with the counts by country. When no dataset has a
/// DOI, every dataset is given with its name as a proprietary identifier, and the header
/// says so in an exception, as it says when the logs cover the first or the last month
/// only in part (3040, "partial data returned").
pub fn counter_report(
    c: &CounterReport,
    coverage: Option<&report::Coverage>,
    info: &DsrInfo,
) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let with_doi = c.rows.iter().any(|r| !r.doi.is_empty());
    let month_days = |m: &str| -> (String, String) {
        let y: i64 = m[..4].parse().unwrap_or(1970);
        let mo: u32 = m[5..].parse().unwrap_or(1);
        let first = crate::time::days_from_civil(y, mo, 1);
        let next = if mo == 12 {
            crate::time::days_from_civil(y + 1, 1, 1)
        } else {
            crate::time::days_from_civil(y, mo + 1, 1)
        };
        (
            crate::time::iso_date(first),
            crate::time::iso_date(next - 1),
        )
    };
    let months: std::collections::BTreeSet<&str> =
        c.rows.iter().map(|r| r.month.as_str()).collect();
    let period = match (months.first(), months.last()) {
        (Some(a), Some(b)) => json!({"begin-date": month_days(a).0, "end-date": month_days(b).1}),
        _ => json!({"begin-date": info.created, "end-date": info.created}),
    };
    let mut datasets: std::collections::BTreeMap<
        (&str, &str),
        std::collections::BTreeMap<&str, Vec<Value>>,
    > = Default::default();
    let names: [(&str, MetricOf); 4] = [
        ("total-dataset-investigations", |m: &Metrics| {
            m.total_investigations
        }),
        ("unique-dataset-investigations", |m: &Metrics| {
            m.unique_investigations
        }),
        ("total-dataset-requests", |m: &Metrics| m.total_requests),
        ("unique-dataset-requests", |m: &Metrics| m.unique_requests),
    ];
    for r in c.rows.iter().filter(|r| !with_doi || !r.doi.is_empty()) {
        let instances = datasets
            .entry((r.dataset.as_str(), r.doi.as_str()))
            .or_default()
            .entry(r.month.as_str())
            .or_default();
        for (name, get) in names {
            let count = get(&r.metrics);
            if count == 0 {
                continue;
            }
            let mut countries = Map::new();
            for (code, m) in &r.countries {
                if code != "Unknown" && get(m) > 0 {
                    countries.insert(code.to_lowercase(), get(m).into());
                }
            }
            let mut i = Map::new();
            i.insert(
                "access-method".into(),
                r.access.name().to_lowercase().into(),
            );
            i.insert("metric-type".into(), name.into());
            i.insert("count".into(), count.into());
            if name.ends_with("requests") {
                i.insert("volume".into(), r.metrics.volume.into());
            }
            i.insert("country-counts".into(), Value::Object(countries));
            instances.push(Value::Object(i));
        }
    }
    let report_datasets: Vec<Value> = datasets
        .into_iter()
        .map(|((name, doi), months)| {
            let id = if doi.is_empty() {
                json!({"type": "proprietary", "value": name})
            } else {
                json!({"type": "doi", "value": doi})
            };
            let performance: Vec<Value> = months
                .into_iter()
                .map(|(m, instance)| {
                    let (begin, end) = month_days(m);
                    json!({"period": {"begin-date": begin, "end-date": end}, "instance": instance})
                })
                .collect();
            json!({
                "dataset-id": [id],
                "dataset-title": name,
                "data-type": "dataset",
                "platform": info.platform,
                "publisher": info.publisher,
                "publisher-id": [{"type": "client-id", "value": info.publisher_id}],
                "performance": performance,
            })
        })
        .collect();
    let mut exceptions = Vec::new();
    if let (Some(cov), Some(a), Some(b)) = (coverage, months.first(), months.last()) {
        let (first, last) = (month_days(a).0, month_days(b).1);
        if cov.first_day > first || cov.last_day < last {
            exceptions.push(json!({
                "code": 3040,
                "severity": "warning",
                "message": "partial data returned",
                "data": format!("the logs cover {} to {}, part of the months reported", cov.first_day, cov.last_day),
            }));
        }
    }
    if !with_doi {
        exceptions.push(json!({
            "severity": "warning",
            "message": "no dataset has a DOI",
            "data": "datasets are named by their key prefix; give a mapping file (prefix,name,doi) to report DOIs",
        }));
    }
    json!({
        "report-header": {
            "report-name": "dataset report",
            "report-id": "DSR",
            "release": "rd1",
            "created": info.created,
            "created-by": info.platform,
            "reporting-period": period,
            "report-filters": [],
            "report-attributes": [],
            "exceptions": exceptions,
        },
        "report-datasets": report_datasets,
    })
}

/// One of COUNTER's four metrics, read from a row's.
type MetricOf = fn(&Metrics) -> u64;

/// Writes the COUNTER output called `name` (one of [`COUNTER_OUTPUTS`]); a report without
/// COUNTER metrics writes empty ones.
pub fn write_counter<W: Write>(
    name: &str,
    report: &Report,
    info: &DsrInfo,
    mut w: W,
) -> io::Result<()> {
    let empty = CounterReport {
        actions: 0,
        robots: 0,
        filtered: 0,
        rows: Vec::new(),
    };
    let c = report.counter.as_ref().unwrap_or(&empty);
    match name {
        "counter_metrics.csv" => write_counter_metrics(w, &c.rows),
        "counter_report.json" => {
            serde_json::to_writer_pretty(
                &mut w,
                &counter_report(c, report.coverage.as_ref(), info),
            )
            .map_err(io::Error::other)?;
            w.write_all(b"\n")?;
            w.flush()
        }
        other => Err(io::Error::other(format!("no output called {other}"))),
    }
}
