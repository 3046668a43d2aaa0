//! Packing the world map (`map.bin`) from `world-atlas`'s `countries-110m.json` (TopoJSON:
//! shared arcs, delta-encoded and quantised) and the ISO 3166 numeric → two-letter codes
//! of `i18n-iso-countries`' `codes.json`. Native only.

use super::map::{self, equal_earth};
use super::pack::deflate;
use super::Source;
use serde_json::Value;
use std::collections::HashMap;

/// Map units across the projected world (its height follows).
pub const WIDTH: i32 = 2000;

/// Countries the atlas gives no number: their codes by the atlas's name.
const UNNUMBERED: [(&str, &str); 1] = [("Kosovo", "XK")];

/// ISO 3166 numeric codes left out of the map: Antarctica (no one downloads from it, and
/// it would take a sixth of the map).
const LEFT_OUT: [&str; 1] = ["010"];

/// The atlas's arcs as longitude/latitude points.
fn arcs(topo: &Value) -> Result<Vec<Vec<(f64, f64)>>, String> {
    let t = &topo["transform"];
    let num = |v: &Value| v.as_f64().ok_or("the atlas's transform is not numbers");
    let (sx, sy) = (num(&t["scale"][0])?, num(&t["scale"][1])?);
    let (tx, ty) = (num(&t["translate"][0])?, num(&t["translate"][1])?);
    let arcs = topo["arcs"].as_array().ok_or("the atlas has no arcs")?;
    arcs.iter()
        .map(|arc| {
            let (mut x, mut y) = (0i64, 0i64);
            arc.as_array()
                .ok_or("an arc is not a list")?
                .iter()
                .map(|p| {
                    x += p[0].as_i64().ok_or("an arc point is not whole numbers")?;
                    y += p[1].as_i64().ok_or("an arc point is not whole numbers")?;
                    Ok((x as f64 * sx + tx, y as f64 * sy + ty))
                })
                .collect()
        })
        .collect()
}

/// A ring of arcs (an arc `~i`, that is `-i - 1`, is arc `i` backwards), each arc after
/// the first without its first point (the last of the one before).
fn ring(arcs: &[Vec<(f64, f64)>], refs: &Value) -> Result<Vec<(f64, f64)>, String> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for r in refs.as_array().ok_or("a ring is not a list of arcs")? {
        let i = r.as_i64().ok_or("an arc number is not a number")?;
        let (k, back) = if i < 0 {
            (!i as usize, true)
        } else {
            (i as usize, false)
        };
        let arc = arcs.get(k).ok_or("a ring names an arc the atlas lacks")?;
        let mut points: Vec<(f64, f64)> = arc.clone();
        if back {
            points.reverse();
        }
        let skip = usize::from(!out.is_empty());
        out.extend(points.into_iter().skip(skip));
    }
    Ok(out)
}

/// A ring cut at the antimeridian: the atlas draws Russia's and Fiji's rings across it
/// (from 179.9°E to 179.9°W), which a flat map must split. The ring is made continuous
/// (longitudes past ±180 where it crosses), then clipped to each side of the 180th
/// meridian and the far side moved back by 360°; the cut edges follow the meridian in 1°
/// steps, so that the projection curves them. A ring that does not cross is as it was.
fn split_at_antimeridian(ring: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    let mut lon_shift = 0.0;
    let mut flat: Vec<(f64, f64)> = Vec::with_capacity(ring.len());
    for (i, &(lon, lat)) in ring.iter().enumerate() {
        if i > 0 {
            let before = ring[i - 1].0;
            if lon - before > 180.0 {
                lon_shift -= 360.0;
            } else if before - lon > 180.0 {
                lon_shift += 360.0;
            }
        }
        flat.push((lon + lon_shift, lat));
    }
    let (lo, hi) = flat
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    if lo >= -180.0 && hi <= 180.0 {
        return vec![ring.to_vec()];
    }
    let edge = if hi > 180.0 { 180.0 } else { -180.0 };
    let mut out = Vec::new();
    for keep_below in [true, false] {
        let clipped = clip(&flat, edge, keep_below);
        if clipped.len() >= 3 {
            let back = if (edge > 0.0) != keep_below {
                -edge * 2.0
            } else {
                0.0
            };
            out.push(clipped.into_iter().map(|(x, y)| (x + back, y)).collect());
        }
    }
    out
}

/// Sutherland–Hodgman: the part of `ring` with longitude at most `edge` (or at least,
/// with `below` false), the stretches along the edge filled in 1° of latitude apart.
fn clip(ring: &[(f64, f64)], edge: f64, below: bool) -> Vec<(f64, f64)> {
    let inside = |p: (f64, f64)| if below { p.0 <= edge } else { p.0 >= edge };
    let mut out: Vec<(f64, f64)> = Vec::new();
    let push = |out: &mut Vec<(f64, f64)>, p: (f64, f64)| {
        if let Some(&(x, y)) = out.last() {
            if x == edge && p.0 == edge {
                let steps = (p.1 - y).abs().floor() as usize;
                for k in 1..steps {
                    let t = k as f64 / steps as f64;
                    out.push((edge, y + (p.1 - y) * t));
                }
            }
        }
        out.push(p);
    };
    for i in 0..ring.len() {
        let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
        let cross = || {
            let t = (edge - a.0) / (b.0 - a.0);
            (edge, a.1 + (b.1 - a.1) * t)
        };
        match (inside(a), inside(b)) {
            (true, true) => push(&mut out, b),
            (true, false) => push(&mut out, cross()),
            (false, true) => {
                push(&mut out, cross());
                push(&mut out, b);
            }
            (false, false) => {}
        }
    }
    // The last stretch back to the first point, along the edge too.
    if let Some(&first) = out.first() {
        push(&mut out, first);
        out.pop();
    }
    out
}

/// Packs the map: the atlas's `countries-110m.json` and the names package's `codes.json`
/// (`[["AF", "AFG", "004", …], …]`).
pub fn pack(atlas_json: &str, codes_json: &str, source: Source) -> Result<Vec<u8>, String> {
    let topo: Value = serde_json::from_str(atlas_json).map_err(|e| format!("the atlas: {e}"))?;
    let codes: Vec<Vec<String>> =
        serde_json::from_str(codes_json).map_err(|e| format!("the codes: {e}"))?;
    let alpha2: HashMap<&str, &str> = codes
        .iter()
        .filter(|c| c.len() >= 3)
        .map(|c| (c[2].as_str(), c[0].as_str()))
        .collect();
    let arcs = arcs(&topo)?;
    let geometries = topo["objects"]["countries"]["geometries"]
        .as_array()
        .ok_or("the atlas has no countries")?;
    // Projected, in map units: x from 0 at 180°W, y from 0 at the top.
    let (x_max, _) = equal_earth(180.0, 0.0);
    let (_, y_max) = equal_earth(0.0, 90.0);
    let unit = WIDTH as f64 / (2.0 * x_max);
    let mut shapes = Vec::new();
    let mut bottom = 0i32;
    for g in geometries {
        let id = g["id"].as_str().unwrap_or("");
        if LEFT_OUT.contains(&id) {
            continue;
        }
        let name = g["properties"]["name"].as_str().unwrap_or("");
        let code = alpha2
            .get(id)
            .copied()
            .or_else(|| UNNUMBERED.iter().find(|(n, _)| *n == name).map(|(_, c)| *c))
            .unwrap_or("");
        let polygons: Vec<&Value> = match g["type"].as_str() {
            Some("Polygon") => vec![&g["arcs"]],
            Some("MultiPolygon") => g["arcs"]
                .as_array()
                .ok_or("a multipolygon is not a list")?
                .iter()
                .collect(),
            _ => continue,
        };
        let mut rings = Vec::new();
        for poly in polygons {
            let refs = poly.as_array().ok_or("a polygon is not a list of rings")?;
            let mut pieces = Vec::new();
            for r in refs {
                pieces.extend(split_at_antimeridian(&ring(&arcs, r)?));
            }
            for piece in pieces {
                let mut gaps: Vec<(i32, i32)> = Vec::new();
                let (mut px, mut py) = (0i32, 0i32);
                for (lon, lat) in piece {
                    let (x, y) = equal_earth(lon, lat);
                    let x = ((x + x_max) * unit).round() as i32;
                    let y = ((y_max - y) * unit).round() as i32;
                    // Points that round onto the one before add nothing.
                    if !gaps.is_empty() && (x, y) == (px, py) {
                        continue;
                    }
                    gaps.push((x - px, y - py));
                    (px, py) = (x, y);
                    bottom = bottom.max(y);
                }
                if gaps.len() >= 3 {
                    rings.push(gaps);
                }
            }
        }
        shapes.push((code.to_string(), rings));
    }
    shapes.sort_by(|a, b| a.0.cmp(&b.0));
    let packed = map::Packed {
        format: map::FORMAT,
        source,
        width: WIDTH,
        height: bottom + 1,
        shapes,
    };
    deflate(&packed)
}
