//! The chart of a series of periods, drawn by one function generic over the plotters
//! backend: the page draws it on a canvas, the CLI into `downloads_over_time.png` and
//! `downloads_over_time.svg`, the tests into memory.
//!
//! Made for a document: a title that says the period and the totals, text that stays
//! readable at 16 cm wide, bars for a few periods and lines for many, the y axis from 0,
//! no minor grid, ticks on month, quarter or year boundaries chosen for the span, and the
//! periods the logs cover only in part drawn pale and named in the legend.

use crate::methods::thousands;
use crate::period::Period;
use crate::publish::{shown, Kind};
use crate::report::PeriodRow;
use crate::time::{civil_from_days, parse_iso_date};
use plotters::chart::SeriesLabelStyle;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// How the chart is drawn.
#[derive(Clone, Debug)]
pub struct ChartOptions {
    /// Multiplies text and lines: 1 for a chart of [`ChartOptions::WIDTH`] pixels, 2 for
    /// the PNG at twice that, the device pixel ratio on a HiDPI screen.
    pub scale: f64,
    /// Also draw bytes sent, on a second axis.
    pub show_bytes: bool,
    /// The period of the rows.
    pub period: Period,
    /// Total counted downloads, for the title.
    pub downloads: u64,
    /// Total unique users, for the title.
    pub unique_users: u64,
    /// What the chart is of, when not all downloads (a dataset's name).
    pub subject: Option<String>,
    /// Font family.
    pub font: &'static str,
    /// The numbers as published (see [`crate::publish`]): the title's totals, and the
    /// user series rounded.
    pub publication: bool,
}

impl ChartOptions {
    /// The width, in pixels at scale 1, the chart is laid out for.
    pub const WIDTH: u32 = 800;
    /// The height that goes with it.
    pub const HEIGHT: u32 = 450;
}

impl Default for ChartOptions {
    fn default() -> Self {
        ChartOptions {
            scale: 1.0,
            show_bytes: false,
            period: Period::Week,
            downloads: 0,
            unique_users: 0,
            subject: None,
            font: "sans-serif",
            publication: false,
        }
    }
}

/// Colours that keep contrast on white, and stay apart for colour-blind readers.
pub const DOWNLOADS: RGBColor = RGBColor(0, 90, 181);
/// New unique users.
pub const NEW_USERS: RGBColor = RGBColor(220, 50, 32);
/// Active unique users.
pub const ACTIVE_USERS: RGBColor = RGBColor(0, 128, 64);
/// Bytes sent.
pub const BYTES: RGBColor = RGBColor(110, 110, 110);
/// A partial period's bar: the downloads colour, pale.
pub const PARTIAL: RGBColor = RGBColor(166, 196, 230);

/// A line of the chart: its name, its colour and the number it draws for a period.
type Series = (&'static str, RGBColor, fn(&PeriodRow) -> u64);

/// Bars up to this many periods; lines above.
const MAX_BARS: usize = 60;

/// Human-readable bytes (powers of 1024).
pub fn human_bytes(b: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = b;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < units.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{v:.0} {}", units[i])
    } else {
        format!("{v:.1} {}", units[i])
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `2024-03-01` as `Mar 2024`.
fn month_name(date: &str) -> String {
    let (y, m, _) = civil_from_days(parse_iso_date(date).unwrap_or(0));
    format!("{} {y}", MONTHS[m as usize - 1])
}

/// A user count as the chart draws it: rounded to the nearest [`crate::publish::STEP`]
/// for publication (small ones too: a line has no "< 10").
fn user_value(n: u64, publication: bool) -> f64 {
    let step = crate::publish::STEP;
    if publication {
        ((n + step / 2) / step * step) as f64
    } else {
        n as f64
    }
}

/// The title: what, per which period, over which span, and the totals.
pub fn title(rows: &[PeriodRow], opt: &ChartOptions) -> String {
    let what = match &opt.subject {
        Some(s) => format!("{s}: downloads per {}", opt.period),
        None => format!("Downloads per {}", opt.period),
    };
    match (rows.first(), rows.last()) {
        (Some(a), Some(b)) => format!(
            "{what}, {} to {}: {} downloads, {} unique users",
            a.period_start,
            b.period_end,
            shown(opt.downloads, Kind::Count, opt.publication).for_people(),
            shown(opt.unique_users, Kind::Users, opt.publication).for_people()
        ),
        _ => format!("{what} (no counted downloads)"),
    }
}

/// The title, or a shorter one when the full one is wider than `room` pixels: without the
/// totals, then the period alone (on a phone).
fn fitting_title<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: &[PeriodRow],
    opt: &ChartOptions,
    font: &FontDesc<'_>,
    room: u32,
) -> String {
    let full = title(rows, opt);
    let shorter = full.split(':').next().unwrap_or(&full).to_string();
    let shortest = shorter.split(',').next().unwrap_or(&shorter).to_string();
    let style = TextStyle::from(font.clone());
    let fits = |t: &str| {
        area.estimate_text_size(t, &style)
            .is_ok_and(|(w, _)| w <= room)
    };
    [full, shorter]
        .into_iter()
        .find(|t| fits(t))
        .unwrap_or(shortest)
}

/// Where the x axis has a labelled tick: the rows that start a new month, quarter or
/// year, whichever gives at most about a dozen labels; with their labels.
fn ticks(rows: &[PeriodRow], period: Period) -> Vec<(usize, String)> {
    let starts: Vec<(i64, u32)> = rows
        .iter()
        .map(|r| {
            let (y, m, _) = civil_from_days(parse_iso_date(&r.period_start).unwrap_or(0));
            (y, m)
        })
        .collect();
    let label = |i: usize, unit: Period| match unit {
        Period::Year => starts[i].0.to_string(),
        Period::Quarter => format!("Q{} {}", (starts[i].1 - 1) / 3 + 1, starts[i].0),
        Period::Month => month_name(&rows[i].period_start),
        _ => rows[i].period_start.clone(),
    };
    let bucket = |i: usize, unit: Period| match unit {
        Period::Year => (starts[i].0, 0),
        Period::Quarter => (starts[i].0, (starts[i].1 - 1) / 3),
        _ => starts[i],
    };
    // Short series of days or weeks: a label every few rows.
    if matches!(period, Period::Day | Period::Week) && rows.len() <= 14 {
        return (0..rows.len())
            .map(|i| (i, rows[i].period_start.clone()))
            .collect();
    }
    for unit in [Period::Month, Period::Quarter, Period::Year] {
        if unit < period {
            continue;
        }
        let mut out: Vec<(usize, String)> = Vec::new();
        for i in 0..rows.len() {
            if i == 0 || bucket(i, unit) != bucket(i - 1, unit) {
                out.push((i, label(i, unit)));
            }
        }
        // A first period that starts inside its bucket is not a boundary.
        if out.len() > 1 && period < unit {
            let first_start = parse_iso_date(&rows[0].period_start).unwrap_or(0);
            if unit.start(first_start) != first_start {
                out.remove(0);
            }
        }
        if out.len() <= 13 || unit == Period::Year {
            let step = out.len().div_ceil(13).max(1);
            return out.into_iter().step_by(step).collect();
        }
    }
    Vec::new()
}

/// Draws the series of `rows` on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: &[PeriodRow],
    opt: &ChartOptions,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    let s = opt.scale.max(0.25);
    let px = |v: f64| (v * s).round().max(1.0) as u32;
    let font = |size: f64| (opt.font, size * s).into_font();
    area.fill(&WHITE).map_err(e)?;
    let n = rows.len().max(1);
    let bars = rows.len() <= MAX_BARS;
    let y_top = rows
        .iter()
        .map(|r| r.downloads.max(r.active_unique_users))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    // Room above the data for the legend (four lines in the upper left).
    let y_max = nice_ceiling(y_top * 1.6);
    let (w, _) = area.dim_in_pixel();
    let caption = fitting_title(area, rows, opt, &font(17.0), w.saturating_sub(px(20.0)));
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(caption, font(17.0))
        .margin(px(10.0))
        .margin_right(px(if opt.show_bytes { 10.0 } else { 24.0 }))
        .x_label_area_size(px(36.0))
        .y_label_area_size(px(62.0));
    if opt.show_bytes {
        builder.right_y_label_area_size(px(70.0));
    }
    let x_range = -0.5f64..(n as f64 - 0.5);
    let mut chart = builder
        .build_cartesian_2d(x_range.clone(), 0f64..y_max)
        .map_err(e)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(6)
        .y_label_formatter(&|v: &f64| thousands(v.round().max(0.0) as u64))
        .y_desc("Count")
        .label_style(font(13.0))
        .axis_desc_style(font(13.0))
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(TRANSPARENT)
        .axis_style(RGBColor(90, 90, 90))
        .draw()
        .map_err(e)?;

    // The x labels, on month / quarter / year boundaries.
    let ticks = ticks(rows, opt.period);
    // A label that would touch the one before it is left out (a narrow screen): every
    // tick keeps its mark.
    let mut right_edge = i32::MIN;
    for (i, label) in &ticks {
        let (bx, by) = chart.backend_coord(&(*i as f64, 0.0));
        let left_aligned = *i == 0 && !bars;
        let style = font(13.0).color(&RGBColor(40, 40, 40)).pos(Pos::new(
            if left_aligned {
                HPos::Left
            } else {
                HPos::Center
            },
            VPos::Top,
        ));
        let width = area
            .estimate_text_size(label, &style)
            .map_or(0, |(w, _)| w as i32);
        let left = if left_aligned { bx } else { bx - width / 2 };
        if left >= right_edge.saturating_add(px(10.0) as i32) {
            area.draw(&Text::new(label.clone(), (bx, by + px(8.0) as i32), style))
                .map_err(e)?;
            right_edge = left + width;
        }
        area.draw(&PathElement::new(
            vec![(bx, by), (bx, by + px(5.0) as i32)],
            RGBColor(90, 90, 90),
        ))
        .map_err(e)?;
    }

    let any_partial = rows.iter().any(|r| r.partial);
    if bars {
        let half = 0.36;
        chart
            .draw_series(rows.iter().enumerate().map(|(i, r)| {
                let color = if r.partial { PARTIAL } else { DOWNLOADS };
                let x = i as f64;
                Rectangle::new(
                    [(x - half, 0.0), (x + half, r.downloads as f64)],
                    color.filled(),
                )
            }))
            .map_err(e)?
            .label("Downloads")
            .legend(move |(x, y)| {
                Rectangle::new(
                    [
                        (x, y - px(5.0) as i32),
                        (x + px(16.0) as i32, y + px(5.0) as i32),
                    ],
                    DOWNLOADS.filled(),
                )
            });
        if any_partial {
            // An empty series, for the legend's entry.
            chart
                .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())
                .map_err(e)?
                .label("Downloads, period covered in part by the logs")
                .legend(move |(x, y)| {
                    Rectangle::new(
                        [
                            (x, y - px(5.0) as i32),
                            (x + px(16.0) as i32, y + px(5.0) as i32),
                        ],
                        PARTIAL.filled(),
                    )
                });
        }
    } else {
        let pts: Vec<(f64, f64)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (i as f64, r.downloads as f64))
            .collect();
        chart
            .draw_series(LineSeries::new(pts, DOWNLOADS.stroke_width(px(2.0))))
            .map_err(e)?
            .label("Downloads")
            .legend(move |(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + px(16.0) as i32, y)],
                    DOWNLOADS.stroke_width(px(3.0)),
                )
            });
        if any_partial {
            // Partial periods: a pale band behind the line.
            chart
                .draw_series(
                    rows.iter()
                        .enumerate()
                        .filter(|(_, r)| r.partial)
                        .map(|(i, _)| {
                            let x = i as f64;
                            Rectangle::new(
                                [(x - 0.5, 0.0), (x + 0.5, y_max)],
                                PARTIAL.mix(0.45).filled(),
                            )
                        }),
                )
                .map_err(e)?
                .label("Period covered in part by the logs")
                .legend(move |(x, y)| {
                    Rectangle::new(
                        [
                            (x, y - px(5.0) as i32),
                            (x + px(16.0) as i32, y + px(5.0) as i32),
                        ],
                        PARTIAL.mix(0.45).filled(),
                    )
                });
        }
    }
    let users: [Series; 2] = [
        ("New unique users", NEW_USERS, |r| r.new_unique_users),
        ("Active unique users", ACTIVE_USERS, |r| {
            r.active_unique_users
        }),
    ];
    for (name, color, get) in users {
        let pts: Vec<(f64, f64)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (i as f64, user_value(get(r), opt.publication)))
            .collect();
        // Segments that reach a partial period are pale: the drop there is not real.
        let pale = color.mix(0.3);
        let segment = |k: usize| {
            let style = if rows[k].partial || rows[k + 1].partial {
                pale.stroke_width(px(2.0))
            } else {
                color.stroke_width(px(2.0))
            };
            PathElement::new(vec![pts[k], pts[k + 1]], style)
        };
        chart
            .draw_series((0..pts.len().saturating_sub(1)).map(segment))
            .map_err(e)?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + px(16.0) as i32, y)],
                    color.stroke_width(px(3.0)),
                )
            });
        if bars || pts.len() == 1 {
            chart
                .draw_series(pts.iter().zip(rows).map(|(&p, r)| {
                    let c = if r.partial { pale } else { color.to_rgba() };
                    Circle::new(p, px(3.0), c.filled())
                }))
                .map_err(e)?;
        }
    }
    if opt.show_bytes {
        let b_max = rows.iter().map(|r| r.bytes_sent).max().unwrap_or(0).max(1) as f64 * 1.3;
        let mut chart = chart.set_secondary_coord(x_range, 0f64..b_max);
        chart
            .configure_secondary_axes()
            .y_desc("Bytes sent")
            .y_label_formatter(&|v: &f64| human_bytes(*v))
            .label_style(font(12.0))
            .axis_desc_style(font(13.0))
            .draw()
            .map_err(e)?;
        let pts: Vec<(f64, f64)> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (i as f64, r.bytes_sent as f64))
            .collect();
        chart
            .draw_secondary_series(LineSeries::new(pts, BYTES.stroke_width(px(2.0))))
            .map_err(e)?
            .label("Bytes sent")
            .legend(move |(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + px(16.0) as i32, y)],
                    BYTES.stroke_width(px(3.0)),
                )
            });
        legend(&mut chart.configure_series_labels(), font(13.0), px(1.0)).map_err(e)?;
    } else {
        legend(&mut chart.configure_series_labels(), font(13.0), px(1.0)).map_err(e)?;
    }
    area.present().map_err(e)?;
    Ok(())
}

/// A round number at or above `v` (1, 2, 2.5 or 5 times a power of ten): the top of the
/// y axis, so that its labels are round.
fn nice_ceiling(v: f64) -> f64 {
    let v = v.max(1.0);
    let p = 10f64.powf(v.log10().floor());
    [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|&c| c >= v)
        .unwrap_or(10.0 * p)
}

/// Draws the legend of the series, in the upper left on a light box.
fn legend<'a, 'b, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    labels: &mut SeriesLabelStyle<'a, 'b, DB, CT>,
    font: FontDesc<'b>,
    line: u32,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    labels
        .legend_area_size(line * 26)
        .border_style(RGBColor(200, 200, 200).stroke_width(line))
        .background_style(WHITE.mix(0.92))
        .label_font(font)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
}

/// Native only: renders the chart into a PNG file (twice the layout's pixels, for print)
/// with the embedded DejaVu Sans font.
#[cfg(not(target_arch = "wasm32"))]
pub fn write_png(
    path: &std::path::Path,
    rows: &[PeriodRow],
    opt: &ChartOptions,
) -> Result<(), String> {
    register_font();
    let size = (ChartOptions::WIDTH * 2, ChartOptions::HEIGHT * 2);
    let root = BitMapBackend::new(path, size).into_drawing_area();
    let opt = ChartOptions {
        scale: 2.0,
        ..opt.clone()
    };
    draw(&root, rows, &opt)
}

/// The chart as SVG text (vector: for print and documents).
pub fn svg(rows: &[PeriodRow], opt: &ChartOptions) -> Result<String, String> {
    #[cfg(not(target_arch = "wasm32"))]
    register_font();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (ChartOptions::WIDTH, ChartOptions::HEIGHT))
            .into_drawing_area();
        let opt = ChartOptions {
            scale: 1.0,
            ..opt.clone()
        };
        draw(&root, rows, &opt)?;
    }
    Ok(out)
}

/// Native only: registers the embedded font once (plotters looks fonts up by name).
#[cfg(not(target_arch = "wasm32"))]
pub fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
    });
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn row(start: &str, end: &str, d: u64, n: u64, a: u64, partial: bool) -> PeriodRow {
        PeriodRow {
            period_start: start.into(),
            period_end: end.into(),
            downloads: d,
            new_unique_users: n,
            active_unique_users: a,
            bytes_sent: d * 1000,
            partial,
        }
    }

    #[test]
    fn draws_into_a_bitmap_and_svg() {
        register_font();
        let rows = vec![
            row("2024-01-01", "2024-01-07", 10, 4, 4, true),
            row("2024-01-08", "2024-01-14", 0, 0, 0, false),
            row("2024-01-15", "2024-01-21", 25, 3, 6, false),
        ];
        let (w, h) = (800u32, 450u32);
        let mut buf = vec![255u8; (w * h * 3) as usize];
        let opt = ChartOptions {
            unique_users: 7,
            downloads: 35,
            show_bytes: true,
            ..Default::default()
        };
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            draw(&root, &rows, &opt).unwrap();
        }
        // The full bar and the pale partial one were drawn.
        let count = |c: RGBColor| buf.chunks(3).filter(|p| p == &[c.0, c.1, c.2]).count();
        assert!(
            count(DOWNLOADS) > 500,
            "{} pixels of the downloads colour",
            count(DOWNLOADS)
        );
        assert!(
            count(PARTIAL) > 200,
            "{} pixels of the partial colour",
            count(PARTIAL)
        );
        assert_eq!(
            title(&rows, &opt),
            "Downloads per week, 2024-01-01 to 2024-01-21: 35 downloads, 7 unique users"
        );
        let svg = svg(&rows, &opt).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("35 downloads, 7 unique users"));
        // An empty series still draws (a title that says so).
        let mut buf2 = vec![255u8; (w * h * 3) as usize];
        let root = BitMapBackend::with_buffer(&mut buf2, (w, h)).into_drawing_area();
        draw(&root, &[], &ChartOptions::default()).unwrap();
    }

    #[test]
    fn ticks_fall_on_boundaries_for_the_span() {
        let weeks: Vec<PeriodRow> = (0..104)
            .map(|k| {
                let d = crate::time::parse_iso_date("2024-01-01").unwrap() + 7 * k;
                row(
                    &crate::time::iso_date(d),
                    &crate::time::iso_date(d + 6),
                    1,
                    1,
                    1,
                    false,
                )
            })
            .collect();
        let t = ticks(&weeks, Period::Week);
        assert!(t.len() >= 4 && t.len() <= 13, "{t:?}");
        assert_eq!(t[0].1, "Q1 2024");
        let months: Vec<PeriodRow> = (1..=12)
            .map(|m| {
                row(
                    &format!("2024-{m:02}-01"),
                    &format!("2024-{m:02}-28"),
                    1,
                    1,
                    1,
                    false,
                )
            })
            .collect();
        let t = ticks(&months, Period::Month);
        assert_eq!(t.len(), 12);
        assert_eq!(t[2], (2, "Mar 2024".to_string()));
    }
}
