//! The weekly chart, drawn by one function generic over the plotters backend: the page
//! draws it on a canvas, the CLI into `downloads_over_time.png`, the tests into memory.

use crate::report::WeekRow;
use plotters::chart::SeriesLabelStyle;
use plotters::coord::Shift;
use plotters::prelude::*;

/// A series of the chart: its name, its colour and the number it draws for a week.
type Series = (&'static str, RGBColor, fn(&WeekRow) -> u64);

/// How the chart is drawn.
#[derive(Clone, Debug)]
pub struct ChartOptions {
    /// Multiplies font sizes and line widths (the device pixel ratio on HiDPI screens).
    pub scale: f64,
    /// Also draw bytes sent per week, on a second axis.
    pub show_bytes: bool,
    /// Total unique users, for the title.
    pub unique_users: u64,
    /// Font family.
    pub font: &'static str,
}

impl Default for ChartOptions {
    fn default() -> Self {
        ChartOptions {
            scale: 1.0,
            show_bytes: false,
            unique_users: 0,
            font: "sans-serif",
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

/// The title: the period and the total of unique users, like the lab's chart.
pub fn title(weeks: &[WeekRow], unique_users: u64) -> String {
    match (weeks.first(), weeks.last()) {
        (Some(a), Some(b)) => format!(
            "Downloads per week, {} to {} ({} unique users)",
            a.week_start, b.week_end, unique_users
        ),
        _ => "Downloads per week (no counted downloads)".to_string(),
    }
}

/// Draws the weekly series on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    weeks: &[WeekRow],
    opt: &ChartOptions,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    let s = opt.scale.max(0.5);
    let px = |v: f64| (v * s).round() as u32;
    area.fill(&WHITE).map_err(e)?;
    let n = weeks.len().max(1);
    let y_max = weeks
        .iter()
        .map(|w| {
            w.downloads
                .max(w.active_unique_users)
                .max(w.new_unique_users)
        })
        .max()
        .unwrap_or(0)
        .max(1) as f64
        * 1.35; // headroom for the legend in the upper left
    let font = |size: f64| (opt.font, size * s).into_font();
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(title(weeks, opt.unique_users), font(18.0))
        .margin(px(12.0))
        .x_label_area_size(px(48.0))
        .y_label_area_size(px(64.0));
    if opt.show_bytes {
        builder.right_y_label_area_size(px(72.0));
    }
    let x_range = -0.5f64..(n as f64 - 0.5);
    let mut chart = builder
        .build_cartesian_2d(x_range.clone(), 0f64..y_max)
        .map_err(e)?;
    let label = |x: &f64| -> String {
        let i = x.round();
        if (x - i).abs() > 1e-6 || i < 0.0 {
            return String::new();
        }
        weeks
            .get(i as usize)
            .map_or(String::new(), |w| w.week_start.clone())
    };
    chart
        .configure_mesh()
        .x_labels(n.min(8))
        .x_label_formatter(&label)
        .y_label_formatter(&|v: &f64| format!("{v:.0}"))
        .x_desc("Week starting (Monday, UTC)")
        .y_desc("Count")
        .label_style(font(12.0))
        .axis_desc_style(font(13.0))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(e)?;

    let series: [Series; 3] = [
        ("Downloads", DOWNLOADS, |w| w.downloads),
        ("New unique users", NEW_USERS, |w| w.new_unique_users),
        ("Active unique users", ACTIVE_USERS, |w| {
            w.active_unique_users
        }),
    ];
    for (name, color, get) in series {
        let pts: Vec<(f64, f64)> = weeks
            .iter()
            .enumerate()
            .map(|(i, w)| (i as f64, get(w) as f64))
            .collect();
        chart
            .draw_series(LineSeries::new(pts.clone(), color.stroke_width(px(2.0))))
            .map_err(e)?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3))
            });
        chart
            .draw_series(
                pts.into_iter()
                    .map(|p| Circle::new(p, px(3.0), color.filled())),
            )
            .map_err(e)?;
    }
    if opt.show_bytes {
        let b_max = weeks.iter().map(|w| w.bytes_sent).max().unwrap_or(0).max(1) as f64 * 1.1;
        let mut chart = chart.set_secondary_coord(x_range, 0f64..b_max);
        chart
            .configure_secondary_axes()
            .y_desc("Bytes sent")
            .y_label_formatter(&|v: &f64| human_bytes(*v))
            .label_style(font(12.0))
            .axis_desc_style(font(13.0))
            .draw()
            .map_err(e)?;
        let pts: Vec<(f64, f64)> = weeks
            .iter()
            .enumerate()
            .map(|(i, w)| (i as f64, w.bytes_sent as f64))
            .collect();
        chart
            .draw_secondary_series(LineSeries::new(pts, BYTES.stroke_width(px(2.0))))
            .map_err(e)?
            .label("Bytes sent")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BYTES.stroke_width(3)));
        legend(&mut chart.configure_series_labels(), font(12.0)).map_err(e)?;
    } else {
        legend(&mut chart.configure_series_labels(), font(12.0)).map_err(e)?;
    }
    area.present().map_err(e)?;
    Ok(())
}

/// Draws the legend of the series, in the upper left on a light box.
fn legend<'a, 'b, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    labels: &mut SeriesLabelStyle<'a, 'b, DB, CT>,
    font: FontDesc<'b>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    labels
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .label_font(font)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
}

/// Native only: renders the chart into a PNG file with the embedded DejaVu Sans font.
#[cfg(not(target_arch = "wasm32"))]
pub fn write_png(
    path: &std::path::Path,
    weeks: &[WeekRow],
    opt: &ChartOptions,
    size: (u32, u32),
) -> Result<(), String> {
    register_font();
    let root = BitMapBackend::new(path, size).into_drawing_area();
    draw(&root, weeks, opt)
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

    fn week(start: &str, end: &str, d: u64, n: u64, a: u64) -> WeekRow {
        WeekRow {
            week_start: start.into(),
            week_end: end.into(),
            downloads: d,
            new_unique_users: n,
            active_unique_users: a,
            bytes_sent: d * 1000,
        }
    }

    #[test]
    fn draws_into_a_bitmap() {
        register_font();
        let weeks = vec![
            week("2024-01-01", "2024-01-07", 10, 4, 4),
            week("2024-01-08", "2024-01-14", 0, 0, 0),
            week("2024-01-15", "2024-01-21", 25, 3, 6),
        ];
        let (w, h) = (640u32, 400u32);
        let mut buf = vec![255u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            let opt = ChartOptions {
                unique_users: 7,
                show_bytes: true,
                ..Default::default()
            };
            draw(&root, &weeks, &opt).unwrap();
        }
        // Some pixels carry the downloads colour: the series was drawn.
        let blue = buf
            .chunks(3)
            .filter(|p| p == &[DOWNLOADS.0, DOWNLOADS.1, DOWNLOADS.2])
            .count();
        assert!(blue > 50, "{blue} pixels of the downloads colour");
        assert_eq!(
            title(&weeks, 7),
            "Downloads per week, 2024-01-01 to 2024-01-21 (7 unique users)"
        );
        // An empty series still draws (a title that says so).
        let mut buf2 = vec![255u8; (w * h * 3) as usize];
        let root = BitMapBackend::with_buffer(&mut buf2, (w, h)).into_drawing_area();
        draw(&root, &[], &ChartOptions::default()).unwrap();
    }
}
