//! What the page's main thread calls: an [`Analysis`] that merges the workers' partial
//! summaries and answers with the report, the summary outputs and the chart.

use crate::chart::{self, ChartOptions};
use crate::geo::tally::{Place, Tables};
use crate::geo::WorldMap;
use crate::map::MapOptions;
use crate::outputs::{Anonymize, Outputs};
use crate::period::Period;
use crate::report::{self, ObjectRow, PeriodRow, Report};
use crate::settings::{Compiled, Settings};
use crate::snapshot::Snapshot;
use crate::summary::{HashMap, PartOfFile, Parts, Summary};
use crate::time::Day;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

/// Rows of the top objects and prefixes tables shown on the page (the CSVs have all).
const SHOWN_ROWS: usize = 25;

fn err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// The default settings, as pretty JSON (the page's form starts from them).
#[wasm_bindgen]
pub fn default_settings() -> String {
    serde_json::to_string_pretty(&Settings::default()).expect("settings serialise")
}

/// How many first bytes of a file [`can_split`] wants.
#[wasm_bindgen]
pub fn split_sniff_bytes() -> usize {
    crate::decode::SNIFF_BYTES
}

/// True when a big file that starts with `head` may be cut into byte ranges for several
/// workers (plain text; not gzip, zip or binary: those are read whole by one worker).
#[wasm_bindgen]
pub fn can_split(head: &[u8]) -> bool {
    crate::decode::can_split(head)
}

/// The byte ranges a plain file of `size` bytes is cut into for `workers` workers, as
/// `[start, end, start, end, ...]`, with the CLI's formula (`range::plan`); empty when
/// the file is read whole.
#[wasm_bindgen]
pub fn split_ranges(size: f64, workers: usize) -> Vec<f64> {
    crate::range::plan(size as u64, workers, crate::range::RANGE_BYTES)
        .unwrap_or_default()
        .into_iter()
        .flat_map(|(start, end)| [start as f64, end as f64])
        .collect()
}

/// Files up to this size are read whole by a worker as soon as they arrive (so more of
/// them may be in flight at once).
#[wasm_bindgen]
pub fn small_file_bytes() -> f64 {
    crate::web::worker::protocol::SMALL_FILE_BYTES as f64
}

/// Checks settings (JSON) as the engine will use them: unknown fields, bad CIDRs, bad
/// dates are refused with a sentence. Returns them normalised.
#[wasm_bindgen]
pub fn check_settings(json: &str) -> Result<String, JsError> {
    let s: Settings = serde_json::from_str(json).map_err(err)?;
    Compiled::new(&s).map_err(err)?;
    serde_json::to_string(&s).map_err(err)
}

/// Reads a mapping file (`prefix,name,doi` rows) into the settings' `datasets` (JSON),
/// or says which row is wrong.
#[wasm_bindgen]
pub fn parse_datasets(text: &str) -> Result<String, JsError> {
    let rules = crate::datasets::parse_mapping(text).map_err(err)?;
    serde_json::to_string(&rules).map_err(err)
}

fn period(name: &str) -> Result<Period, JsError> {
    Period::from_name(name).ok_or_else(|| err(format!("no period called {name}")))
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsError> {
    // Through JSON text, as the CLI writes it (objects for maps, `null` for a missing
    // value): `JSON.parse` builds the report of 1,630 datasets in 7-11 ms in Chromium,
    // where setting its fields one call at a time (serde-wasm-bindgen) took 33-52 ms.
    let json = serde_json::to_string(v).map_err(err)?;
    js_sys::JSON::parse(&json).map_err(|e| err(format!("{e:?}")))
}

/// What the page shows, in one object.
#[derive(Serialize)]
struct PageReport<'a> {
    #[serde(flatten)]
    report: &'a Report,
    top_objects: Vec<ObjectRow>,
    objects: usize,
}

/// The merged summary of one analysis. A run's partial summaries are merged as they
/// arrive into a pending summary, which [`Analysis::commit`] adds to the analysis (and
/// [`Analysis::discard`] drops, when the run is cancelled): adding files to a finished
/// analysis never leaves it half-merged.
#[wasm_bindgen]
pub struct Analysis {
    settings: Settings,
    summary: Summary,
    pending: Summary,
    parts: HashMap<String, Parts>,
    report: Option<Report>,
    /// Each user's place (country, network, cloud), looked up once, with the report (for
    /// the countries and networks of a dataset and days).
    places: Option<Vec<Place>>,
    /// The log files counted (name -> size): those of the committed runs, and of the
    /// snapshot it was opened from.
    files: std::collections::BTreeMap<String, u64>,
    /// When the snapshot it was opened from was made (Unix seconds; 0: not from one).
    made_at: i64,
}

/// Unpacks the address tables now (they are unpacked once, on first use): the page calls
/// this while the workers read, so that the report does not wait for it.
#[wasm_bindgen]
pub fn prepare_tables() {
    Tables::builtin();
    WorldMap::builtin();
}

/// The days from `from` to `to` (`YYYY-MM-DD`; `""` for the first or the last; both
/// `""`: all, `None`).
fn geo_days(from: &str, to: &str) -> Result<Option<(Day, Day)>, JsError> {
    let day = |s: &str, none: Day| match s {
        "" => Ok(none),
        s => crate::time::parse_iso_date(s).ok_or_else(|| err(format!("not a day: {s}"))),
    };
    Ok(match (from, to) {
        ("", "") => None,
        _ => Some((day(from, Day::MIN)?, day(to, Day::MAX)?)),
    })
}

/// Which of a list of files to read: `read` (indexes), `skipped` (already counted), and
/// `changed` (`[index, size counted]`: a counted name with another size).
#[derive(Serialize)]
struct PagePlan {
    read: Vec<usize>,
    skipped: usize,
    changed: Vec<(usize, f64)>,
}

#[wasm_bindgen]
impl Analysis {
    /// An empty analysis under these settings (JSON).
    #[wasm_bindgen(constructor)]
    pub fn new(settings_json: &str) -> Result<Analysis, JsError> {
        let settings: Settings = serde_json::from_str(settings_json).map_err(err)?;
        Ok(Analysis {
            summary: Summary::default(),
            pending: Summary::default(),
            settings,
            parts: HashMap::default(),
            report: None,
            places: None,
            files: Default::default(),
            made_at: 0,
        })
    }

    /// An analysis from a snapshot's bytes (kept in the browser, or a file opened), or
    /// the sentence saying why it cannot be used.
    pub fn from_snapshot(bytes: &[u8]) -> Result<Analysis, JsError> {
        let snap = Snapshot::from_bytes(bytes).map_err(err)?;
        Ok(Analysis {
            settings: snap.settings,
            summary: snap.summary,
            pending: Summary::default(),
            parts: HashMap::default(),
            report: None,
            places: None,
            files: snap.files,
            made_at: snap.made_at,
        })
    }

    /// The analysis as a snapshot's bytes, made at `made_at` (Unix seconds).
    pub fn to_snapshot(&mut self, made_at: f64) -> Vec<u8> {
        self.summary.normalize();
        crate::snapshot::encode(&self.settings, made_at as i64, &self.files, &self.summary)
    }

    /// The settings it was made with, as JSON.
    pub fn settings_json(&self) -> String {
        serde_json::to_string(&self.settings).expect("settings serialise")
    }

    /// When the snapshot it was opened from was made (Unix seconds; 0: not from one).
    pub fn made_at(&self) -> f64 {
        self.made_at as f64
    }

    /// How many log files it counts.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// Records the files of the run just committed as counted.
    pub fn count_files(&mut self, names: Vec<String>, sizes: Vec<f64>) {
        for (n, s) in names.into_iter().zip(sizes) {
            self.files.insert(n, s as u64);
        }
    }

    /// Which of these files (names and sizes) to read, skip as counted, or report as
    /// changed (a `PagePlan` as a JS object).
    pub fn plan(&self, names: Vec<String>, sizes: Vec<f64>) -> Result<JsValue, JsError> {
        let list: Vec<(&str, u64)> = names
            .iter()
            .zip(&sizes)
            .map(|(n, s)| (n.as_str(), *s as u64))
            .collect();
        let p = crate::snapshot::plan(&self.files, &list);
        let plan = PagePlan {
            read: p.read,
            skipped: p.skipped.len(),
            changed: p.changed.into_iter().map(|(i, c)| (i, c as f64)).collect(),
        };
        to_js(&plan)
    }

    /// Merges a worker's partial summary (the bytes of `Summary::to_bytes`) into the
    /// pending run.
    pub fn add(&mut self, summary: &[u8]) -> Result<(), JsError> {
        let part = Summary::from_bytes(summary).map_err(err)?;
        self.pending.merge(part, self.settings.reject_samples);
        Ok(())
    }

    /// Adds part `index` of the `count` byte-range parts of one big file: what the part
    /// says about the file as a whole (bytes of `PartOfFile::to_bytes`; the rest of its
    /// summary comes merged into its worker's summary). When the last one is in, the
    /// file's own summary joins the pending run.
    pub fn add_part(
        &mut self,
        name: &str,
        index: usize,
        count: usize,
        part: &[u8],
    ) -> Result<(), JsError> {
        let part = PartOfFile::from_bytes(part).map_err(err)?;
        let max = self.settings.reject_samples;
        let all = self
            .parts
            .entry(name.to_string())
            .or_insert_with(|| Parts::new(name, count, max));
        if !all.add(index, part) {
            return Err(err(format!(
                "part {index} of {name} came twice or was not expected"
            )));
        }
        if all.complete() {
            let whole = self.parts.remove(name).and_then(Parts::finish);
            let whole = whole.expect("complete");
            self.pending.merge(whole, max);
        }
        Ok(())
    }

    /// Adds the pending run to the analysis.
    pub fn commit(&mut self) -> Result<(), JsError> {
        if let Some(name) = self.parts.keys().next() {
            return Err(err(format!("parts of {name} are missing")));
        }
        let run = std::mem::take(&mut self.pending);
        self.summary.merge(run, self.settings.reject_samples);
        self.report = None;
        self.places = None;
        Ok(())
    }

    /// Drops the pending run (cancelled).
    pub fn discard(&mut self) {
        self.pending = Summary::default();
        self.parts.clear();
    }

    fn report_ref(&mut self) -> &Report {
        if self.report.is_none() {
            self.summary.normalize();
            // Each user looked up once: for this report and for a dataset's and days'.
            let places = crate::geo::tally::places(&self.summary, Tables::builtin());
            self.report = Some(Report::with_places(
                &self.summary,
                Tables::builtin(),
                &places,
            ));
            self.places = Some(places);
        }
        self.report.as_ref().expect("just made")
    }

    /// The report with the first rows of the top objects, as a JS object.
    pub fn report(&mut self) -> Result<JsValue, JsError> {
        self.report_ref();
        let top_objects = report::top_objects(&self.summary, SHOWN_ROWS);
        let objects = self.summary.objects.len();
        to_js(&PageReport {
            report: self.report.as_ref().expect("made above"),
            top_objects,
            objects,
        })
    }

    /// The rows of `period` (`day`, `week`, `month`, `quarter`, `year`) of one dataset.
    pub fn dataset_periods(
        &mut self,
        dataset: &str,
        period_name: &str,
    ) -> Result<JsValue, JsError> {
        let rows = report::dataset_periods(&self.summary, dataset, period(period_name)?);
        to_js(&rows)
    }

    /// Where the downloads of one dataset (`""`: all datasets) on the days from `from` to
    /// `to` (`YYYY-MM-DD`, inclusive; `""`: from the first, to the last) come from:
    /// `{countries, networks, cloud}`, as the report's.
    pub fn geography(&mut self, dataset: &str, from: &str, to: &str) -> Result<JsValue, JsError> {
        let days = geo_days(from, to)?;
        self.report_ref();
        let places = self.places.as_deref().expect("made with the report");
        to_js(&report::dataset_geography(
            &self.summary,
            Tables::builtin(),
            places,
            dataset,
            days,
        ))
    }

    /// The countries of one dataset (`""`: all) on the days from `from` to `to` (as
    /// [`Analysis::geography`]), and the map's options for them.
    fn map_rows(
        &mut self,
        dataset: &str,
        from: &str,
        to: &str,
    ) -> Result<(Vec<crate::geo::tally::CountryRow>, MapOptions), JsError> {
        let days = geo_days(from, to)?;
        self.report_ref();
        let places = self.places.as_deref().expect("made with the report");
        let rows =
            report::dataset_countries(&self.summary, Tables::builtin(), places, dataset, days);
        let subject = match dataset {
            "" => None,
            d => Some(crate::text::url_decode(d.as_bytes())),
        };
        let opt = MapOptions {
            subject,
            days: days.map(|_| match (from, to) {
                (a, b) if a == b => format!("on {a}"),
                (a, b) => format!("from {a} to {b}"),
            }),
            publication: self.settings.publication_rounding,
            ..Default::default()
        };
        Ok((rows, opt))
    }

    /// Draws the map of unique users by country (of one dataset, `""`: all; on the days
    /// from `from` to `to`, `""`: all) on `canvas`, whose size is already in device
    /// pixels; `scale` multiplies text and lines.
    pub fn draw_map(
        &mut self,
        canvas: HtmlCanvasElement,
        dataset: &str,
        from: &str,
        to: &str,
        scale: f64,
    ) -> Result<(), JsError> {
        let (rows, mut opt) = self.map_rows(dataset, from, to)?;
        opt.scale = scale;
        let backend = plotters_canvas::CanvasBackend::with_canvas_object(canvas)
            .ok_or_else(|| err("the canvas has no 2D context"))?;
        use plotters::prelude::IntoDrawingArea;
        crate::map::draw(
            &backend.into_drawing_area(),
            WorldMap::builtin(),
            &rows,
            &opt,
        )
        .map_err(err)
    }

    /// The map of [`Analysis::draw_map`] as SVG text.
    pub fn map_svg(&mut self, dataset: &str, from: &str, to: &str) -> Result<String, JsError> {
        let (rows, opt) = self.map_rows(dataset, from, to)?;
        crate::map::svg(WorldMap::builtin(), &rows, &opt).map_err(err)
    }

    /// Turns publication rounding on or off (a way of showing the numbers: nothing is
    /// read again).
    pub fn set_publication(&mut self, on: bool) {
        self.settings.publication_rounding = on;
    }

    /// The methods paragraph, for the tables of `period`.
    pub fn methods(&mut self, period_name: &str) -> Result<String, JsError> {
        let p = period(period_name)?;
        let settings = self.settings.clone();
        Ok(crate::methods::paragraph(&settings, self.report_ref(), p))
    }

    /// The bytes of a COUNTER output (`counter_metrics.csv`, `counter_report.json`):
    /// the same bytes as the CLI writes; `info_json` says who publishes the datasets.
    pub fn counter_output(&mut self, name: &str, info_json: &str) -> Result<Vec<u8>, JsError> {
        let info: crate::outputs::DsrInfo = serde_json::from_str(info_json).map_err(err)?;
        let report = self.report_ref();
        let mut out = Vec::new();
        crate::outputs::write_counter(name, report, &info, &mut out).map_err(err)?;
        Ok(out)
    }

    /// The bytes of one summary output (see `outputs::SUMMARY_OUTPUTS`; `methods.txt`
    /// for the tables of `period`): the same bytes as the CLI writes.
    pub fn output(&mut self, name: &str, period_name: &str) -> Result<Vec<u8>, JsError> {
        let period = period(period_name)?;
        self.report_ref();
        let mut out = Vec::new();
        let made = Outputs {
            summary: &self.summary,
            report: self.report.as_ref().expect("made above"),
            settings: &self.settings,
            anon: &Anonymize::None,
            period,
        };
        made.write(name, &mut out).map_err(err)?;
        Ok(out)
    }

    /// The chart's options and rows: of `dataset`, or of all downloads when it is empty.
    fn chart_rows(
        &mut self,
        period_name: &str,
        dataset: &str,
    ) -> Result<(Vec<PeriodRow>, ChartOptions), JsError> {
        let period = period(period_name)?;
        let publication = self.settings.publication_rounding;
        self.report_ref();
        let report = self.report.as_ref().expect("made above");
        if dataset.is_empty() {
            let opt = ChartOptions {
                period,
                downloads: report.downloads,
                unique_users: report.unique_users,
                publication,
                ..Default::default()
            };
            return Ok((report.periods.get(period).to_vec(), opt));
        }
        let row = report
            .datasets
            .iter()
            .find(|d| d.dataset == dataset)
            .ok_or_else(|| err(format!("no dataset called {dataset}")))?;
        let opt = ChartOptions {
            period,
            downloads: row.downloads,
            unique_users: row.unique_users,
            subject: Some(row.dataset_decoded.clone()),
            publication,
            ..Default::default()
        };
        Ok((report::dataset_periods(&self.summary, dataset, period), opt))
    }

    /// Draws the chart of `period` (of one dataset, or of all when `dataset` is empty) on
    /// `canvas`, whose size is already in device pixels; `scale` multiplies text and
    /// lines (the device pixel ratio, times a little more on a wide screen).
    pub fn draw(
        &mut self,
        canvas: HtmlCanvasElement,
        period_name: &str,
        dataset: &str,
        show_bytes: bool,
        scale: f64,
    ) -> Result<(), JsError> {
        let (rows, mut opt) = self.chart_rows(period_name, dataset)?;
        opt.show_bytes = show_bytes;
        opt.scale = scale;
        let backend = plotters_canvas::CanvasBackend::with_canvas_object(canvas)
            .ok_or_else(|| err("the canvas has no 2D context"))?;
        use plotters::prelude::IntoDrawingArea;
        chart::draw(&backend.into_drawing_area(), &rows, &opt).map_err(err)
    }

    /// The chart as SVG (vector, for print), as `draw` draws it.
    pub fn chart_svg(
        &mut self,
        period_name: &str,
        dataset: &str,
        show_bytes: bool,
    ) -> Result<String, JsError> {
        let (rows, mut opt) = self.chart_rows(period_name, dataset)?;
        opt.show_bytes = show_bytes;
        chart::svg(&rows, &opt).map_err(err)
    }
}

/// The sample logs shipped inside the page, as `[[name, bytes], ...]`: the "Try with
/// sample logs" button analyses them like dropped files, with no request.
#[wasm_bindgen]
pub fn sample_logs() -> js_sys::Array {
    super::samples::SAMPLES
        .iter()
        .map(|(name, bytes)| {
            let pair = js_sys::Array::new();
            pair.push(&JsValue::from_str(name));
            pair.push(&js_sys::Uint8Array::from(*bytes));
            JsValue::from(pair)
        })
        .collect()
}
