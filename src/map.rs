//! The world map of unique users by country, drawn by one function generic over the
//! plotters backend (the page's canvas, the CLI's `world_map.png` and `world_map.svg`):
//! countries filled by how many users they have, in five classes of a sequential blue
//! that reads in grey and for colour-blind readers, the countries with none in pale grey,
//! a legend, and a title that says what is counted. The shapes are Equal Earth (equal
//! area, [`crate::geo::map`]); countries too small for the map are in the table.

use crate::geo::tally::CountryRow;
use crate::geo::WorldMap;
use crate::methods::thousands;
use crate::publish::{shown, Kind, Shown};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::HashMap;

/// How the map is drawn.
#[derive(Clone, Debug)]
pub struct MapOptions {
    /// Multiplies text and lines: 1 for a map of [`MapOptions::WIDTH`] pixels, 2 for the
    /// PNG at twice that.
    pub scale: f64,
    /// Font family.
    pub font: &'static str,
    /// What the map is of, when not all downloads (a dataset's name).
    pub subject: Option<String>,
    /// The days, when not all (`2024-01-01 to 2024-03-31`).
    pub days: Option<String>,
    /// The numbers as published (see [`crate::publish`]): no class splits counts under 10.
    pub publication: bool,
}

impl MapOptions {
    /// The width, in pixels at scale 1, the map is laid out for.
    pub const WIDTH: u32 = 800;
    /// The height that goes with it.
    pub const HEIGHT: u32 = 450;
}

impl Default for MapOptions {
    fn default() -> Self {
        MapOptions {
            scale: 1.0,
            font: "sans-serif",
            subject: None,
            days: None,
            publication: false,
        }
    }
}

/// The five classes' colours, light to dark (ColorBrewer's sequential "Blues").
pub const CLASSES: [RGBColor; 5] = [
    RGBColor(198, 219, 239),
    RGBColor(158, 202, 225),
    RGBColor(107, 174, 214),
    RGBColor(49, 130, 189),
    RGBColor(8, 81, 156),
];
/// A country with no user.
pub const NONE: RGBColor = RGBColor(228, 228, 228);
/// Borders between countries.
const BORDER: RGBColor = RGBColor(255, 255, 255);

/// The lower bounds of the classes for counts up to `max` (the first is 1): numbers of
/// the 1-2-5 series spread evenly on a log scale, as many as there are colours; with
/// `publication`, none between 1 and 10 (a class would tell a count under 10).
pub fn classes(max: u64, publication: bool) -> Vec<u64> {
    let max = max.max(1);
    let mut nice = Vec::new();
    let mut step = 1u64;
    while step <= max {
        for m in [1, 2, 5] {
            if step * m <= max {
                nice.push(step * m);
            }
        }
        step = step.saturating_mul(10);
    }
    if publication {
        nice.retain(|&n| n == 1 || n >= 10);
    }
    if nice.len() <= CLASSES.len() {
        return nice;
    }
    // Evenly spread on a log scale between 1 and max, each snapped to the nearest nice.
    let top = (max as f64).ln();
    let mut out = vec![1];
    for k in 1..CLASSES.len() {
        let target = top * k as f64 / CLASSES.len() as f64;
        let best = *nice
            .iter()
            .min_by(|a, b| {
                let d = |n: u64| ((n as f64).ln() - target).abs();
                d(**a).total_cmp(&d(**b))
            })
            .expect("nice numbers");
        if best > *out.last().expect("1") {
            out.push(best);
        }
    }
    out
}

/// The class of a count (`None` for 0).
pub fn class_of(bounds: &[u64], n: u64) -> Option<usize> {
    (n > 0).then(|| bounds.partition_point(|&b| b <= n).saturating_sub(1))
}

/// The legend's words for each class: `1–4`, `5–19`, `20 or more`.
pub fn class_labels(bounds: &[u64]) -> Vec<String> {
    bounds
        .iter()
        .enumerate()
        .map(|(i, &b)| match bounds.get(i + 1) {
            Some(&next) if next == b + 1 => thousands(b),
            Some(&next) => format!("{}–{}", thousands(b), thousands(next - 1)),
            None => format!("{} or more", thousands(b)),
        })
        .collect()
}

/// The title's two lines.
pub fn titles(rows: &[CountryRow], opt: &MapOptions) -> (String, String) {
    let title = match &opt.subject {
        Some(s) => format!("Unique users by country: {s}"),
        None => "Unique users by country".to_string(),
    };
    let known: Vec<&CountryRow> = rows.iter().filter(|r| !r.country_code.is_empty()).collect();
    let people = |n: u64| match shown(n, Kind::Users, opt.publication) {
        Shown::Value(v) => (thousands(v), v == 1),
        below => (below.to_string(), false),
    };
    let (users, one) = people(known.iter().map(|r| r.unique_users).sum());
    let mut sub = format!(
        "{users} unique {} in {} {}",
        if one { "user" } else { "users" },
        thousands(known.len() as u64),
        if known.len() == 1 {
            "country"
        } else {
            "countries"
        }
    );
    let unknown: u64 = rows
        .iter()
        .filter(|r| r.country_code.is_empty())
        .map(|r| r.unique_users)
        .sum();
    if unknown > 0 {
        sub.push_str(&format!(" and {} of no known country", people(unknown).0));
    }
    if let Some(d) = &opt.days {
        sub.push_str(&format!(", {d} (UTC)"));
    }
    sub.push_str("; by the country where each address is registered");
    (title, sub)
}

/// Draws the map of `rows` (the countries of the downloads shown) on `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    map: &WorldMap,
    rows: &[CountryRow],
    opt: &MapOptions,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    let s = opt.scale.max(0.25);
    let px = |v: f64| (v * s).round() as i32;
    let font = |size: f64| (opt.font, size * s).into_font();
    area.fill(&WHITE).map_err(e)?;
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let (title, mut sub) = titles(rows, opt);
    let left = |size: f64, c: RGBColor| font(size).color(&c).pos(Pos::new(HPos::Left, VPos::Top));
    area.draw(&Text::new(title, (px(12.0), px(8.0)), left(17.0, BLACK)))
        .map_err(e)?;
    // On a narrow canvas (a phone) the subtitle keeps its numbers and drops its last clause.
    let grey = left(12.0, RGBColor(70, 70, 70));
    let (sw, _) = area.estimate_text_size(&sub, &grey).map_err(e)?;
    if sw as i32 > w - px(24.0) {
        if let Some(cut) = sub.find("; by the country") {
            sub.truncate(cut);
        }
    }
    area.draw(&Text::new(sub, (px(12.0), px(30.0)), grey))
        .map_err(e)?;
    // The map between the titles and the legend, as large as fits, centred.
    let (top, bottom) = (px(52.0), h - px(34.0));
    let (room_w, room_h) = ((w - px(16.0)) as f64, (bottom - top).max(1) as f64);
    let k = (room_w / map.width as f64).min(room_h / map.height as f64);
    let x0 = (w as f64 - map.width as f64 * k) / 2.0;
    let y0 = top as f64 + (room_h - map.height as f64 * k) / 2.0;
    let at = |(x, y): (i32, i32)| {
        (
            (x0 + x as f64 * k).round() as i32,
            (y0 + y as f64 * k).round() as i32,
        )
    };
    let users: HashMap<&str, u64> = rows
        .iter()
        .filter(|r| !r.country_code.is_empty())
        .map(|r| (r.country_code.as_str(), r.unique_users))
        .collect();
    let bounds = classes(users.values().copied().max().unwrap_or(0), opt.publication);
    let line = (s.round() as u32).max(1);
    for shape in &map.shapes {
        let n = users.get(shape.code.as_str()).copied().unwrap_or(0);
        let fill = class_of(&bounds, n).map_or(NONE, |c| CLASSES[c.min(CLASSES.len() - 1)]);
        for ring in &shape.rings {
            let points: Vec<(i32, i32)> = ring.iter().map(|&p| at(p)).collect();
            area.draw(&Polygon::new(points.clone(), fill.filled()))
                .map_err(e)?;
            let mut closed = points;
            closed.push(closed[0]);
            area.draw(&PathElement::new(closed, BORDER.stroke_width(line)))
                .map_err(e)?;
        }
    }
    // The legend: a box and a label for each class, then "none".
    let mut x = px(12.0);
    let y = h - px(24.0);
    let mid = font(12.0)
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let labels = class_labels(&bounds);
    let entries = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (CLASSES[i.min(CLASSES.len() - 1)], l.as_str()))
        .chain([(NONE, "no user")]);
    for (colour, label) in entries {
        area.draw(&Rectangle::new(
            [(x, y - px(7.0)), (x + px(18.0), y + px(7.0))],
            colour.filled(),
        ))
        .map_err(e)?;
        area.draw(&Text::new(
            label.to_string(),
            (x + px(24.0), y),
            mid.clone(),
        ))
        .map_err(e)?;
        let (tw, _) = area.estimate_text_size(label, &mid).map_err(e)?;
        x += px(24.0) + tw as i32 + px(18.0);
    }
    Ok(())
}

/// Native only: renders the map into a PNG file (twice the layout's pixels, for print)
/// with the embedded font.
#[cfg(not(target_arch = "wasm32"))]
pub fn write_png(
    path: &std::path::Path,
    map: &WorldMap,
    rows: &[CountryRow],
    opt: &MapOptions,
) -> Result<(), String> {
    crate::chart::register_font();
    let size = (MapOptions::WIDTH * 2, MapOptions::HEIGHT * 2);
    let root = BitMapBackend::new(path, size).into_drawing_area();
    let opt = MapOptions {
        scale: 2.0,
        ..opt.clone()
    };
    draw(&root, map, rows, &opt)?;
    root.present().map_err(|e| e.to_string())
}

/// The map as SVG text (vector: for print and documents).
pub fn svg(map: &WorldMap, rows: &[CountryRow], opt: &MapOptions) -> Result<String, String> {
    #[cfg(not(target_arch = "wasm32"))]
    crate::chart::register_font();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (MapOptions::WIDTH, MapOptions::HEIGHT))
            .into_drawing_area();
        let opt = MapOptions {
            scale: 1.0,
            ..opt.clone()
        };
        draw(&root, map, rows, &opt)?;
    }
    Ok(out)
}
