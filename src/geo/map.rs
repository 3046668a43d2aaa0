//! The world's country shapes for the map of users by country: Natural Earth's 1:110m
//! countries (public domain, as the npm package `world-atlas` ships them), projected once
//! with the Equal Earth projection (equal-area: a country's colour covers its true share
//! of the map) and packed as rings of whole-number points. Antarctica is left out.
//!
//! `map.bin` is made by `scripts/update-geo.sh`; like the country table it is only in the
//! page's main program.

use super::{builtin_bytes, unpack, Source};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The packed form's version: [`WorldMap::from_packed`] refuses any other.
pub(super) const FORMAT: u32 = 1;

/// One country's shape: its two-letter code (empty when the atlas gives none) and its
/// rings (outer boundaries and holes alike: they are filled even-odd by no one; holes are
/// rare at this scale and drawn over by their own country).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    /// ISO 3166 two-letter code.
    pub code: String,
    /// Rings of points, x to the right and y down, in `0..width` and `0..height`.
    pub rings: Vec<Vec<(i32, i32)>>,
}

/// The projected world.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorldMap {
    source: Source,
    /// The projected world's size in map units.
    pub width: i32,
    /// See `width`.
    pub height: i32,
    /// The countries.
    pub shapes: Vec<Shape>,
}

/// A ring as the gaps between its points (the first is its own gap).
pub(super) type Gaps = Vec<(i32, i32)>;

/// The packed form, before deflate.
#[derive(Serialize, Deserialize)]
pub(super) struct Packed {
    pub format: u32,
    pub source: Source,
    pub width: i32,
    pub height: i32,
    /// (code, rings).
    pub shapes: Vec<(String, Vec<Gaps>)>,
}

impl WorldMap {
    /// The map built into the program, unpacked on first use.
    pub fn builtin() -> &'static WorldMap {
        static MAP: OnceLock<WorldMap> = OnceLock::new();
        MAP.get_or_init(|| {
            WorldMap::from_packed(builtin_bytes().2).expect("the built-in map unpacks")
        })
    }

    /// Where the shapes come from.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Reads a packed map, checking that every point is inside it.
    pub fn from_packed(bytes: &[u8]) -> Result<WorldMap, String> {
        let what = "the world map";
        let p: Packed = unpack(bytes, what)?;
        if p.format != FORMAT {
            return Err(format!(
                "map format {} (this program reads {FORMAT})",
                p.format
            ));
        }
        if !(1..=1 << 15).contains(&p.width) || !(1..=1 << 15).contains(&p.height) {
            return Err(format!("{what} has no size"));
        }
        let mut shapes = Vec::with_capacity(p.shapes.len());
        for (code, rings) in p.shapes {
            let mut out = Vec::with_capacity(rings.len());
            for gaps in rings {
                let (mut x, mut y) = (0i32, 0i32);
                let mut ring = Vec::with_capacity(gaps.len());
                for (dx, dy) in gaps {
                    let damaged = || format!("{what} is damaged");
                    x = x.checked_add(dx).ok_or_else(damaged)?;
                    y = y.checked_add(dy).ok_or_else(damaged)?;
                    if !(0..=p.width).contains(&x) || !(0..=p.height).contains(&y) {
                        return Err(format!("{what} has a point outside it"));
                    }
                    ring.push((x, y));
                }
                out.push(ring);
            }
            shapes.push(Shape { code, rings: out });
        }
        Ok(WorldMap {
            source: p.source,
            width: p.width,
            height: p.height,
            shapes,
        })
    }
}

/// The Equal Earth projection (Šavrič, Patterson and Jenny, 2018) of a longitude and
/// latitude in degrees: x in about ±2.7065, y in about ±1.3173 (north up).
pub fn equal_earth(lon: f64, lat: f64) -> (f64, f64) {
    const A1: f64 = 1.340264;
    const A2: f64 = -0.081106;
    const A3: f64 = 0.000893;
    const A4: f64 = 0.003796;
    let (l, p) = (lon.to_radians(), lat.to_radians());
    let m = 3f64.sqrt() / 2.0;
    let t = (m * p.sin()).asin();
    let (t2, t6) = (t * t, t.powi(6));
    let x = l * t.cos() / (m * (A1 + 3.0 * A2 * t2 + t6 * (7.0 * A3 + 9.0 * A4 * t2)));
    let y = t * (A1 + A2 * t2 + t6 * (A3 + A4 * t2));
    (x, y)
}
