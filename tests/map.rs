//! The world map: its classes, and the drawing itself (a bitmap read back pixel by pixel:
//! a country with users in its class's colour, one without in grey, the antimeridian
//! countries whole), and the built-in shapes.

use s3logdrop::geo::tally::CountryRow;
use s3logdrop::geo::WorldMap;
use s3logdrop::map::{self, class_labels, class_of, classes, MapOptions, CLASSES, NONE};

fn row(code: &str, users: u64) -> CountryRow {
    CountryRow {
        country_code: code.into(),
        country: code.into(),
        downloads: users * 2,
        unique_users: users,
        bytes_sent: 0,
    }
}

#[test]
fn classes_spread_on_a_log_scale_and_hide_small_counts_when_published() {
    assert_eq!(classes(0, false), [1]);
    assert_eq!(classes(3, false), [1, 2]);
    assert_eq!(classes(5, false), [1, 2, 5]);
    let b = classes(129, false);
    assert_eq!(b.len(), 5);
    assert_eq!(b[0], 1);
    assert!(b.windows(2).all(|w| w[0] < w[1]) && *b.last().unwrap() <= 129);
    let p = classes(129, true);
    assert!(p.iter().all(|&x| x == 1 || x >= 10), "{p:?}");
    assert_eq!(p[1], 10);
    assert_eq!(class_of(&b, 0), None);
    assert_eq!(class_of(&b, 1), Some(0));
    assert_eq!(class_of(&b, 129), Some(b.len() - 1));
    assert_eq!(class_labels(&[1, 2, 5]), ["1", "2–4", "5 or more"]);
    assert_eq!(
        class_labels(&[1, 10, 1000]),
        ["1–9", "10–999", "1,000 or more"]
    );
}

#[test]
fn the_built_in_map_holds_the_countries_without_antarctica() {
    let m = WorldMap::builtin();
    let codes: Vec<&str> = m.shapes.iter().map(|s| s.code.as_str()).collect();
    for c in ["US", "FR", "CN", "BR", "AU", "RU", "FJ", "XK", "ZA"] {
        assert!(codes.contains(&c), "{c}");
    }
    assert!(!codes.contains(&"AQ"));
    assert!(m.shapes.len() > 170);
    // Equal Earth: about twice as wide as high (2.05 for the whole world; a little less
    // tall without Antarctica).
    let ratio = m.width as f64 / m.height as f64;
    assert!((2.1..2.6).contains(&ratio), "{ratio}");
    assert!(m.source().licence.contains("public domain"));
}

/// The pixel (at scale 1 of 800 x 450) where a longitude and latitude are drawn.
fn pixel_of(lon: f64, lat: f64, m: &WorldMap) -> (u32, u32) {
    let (x, y) = s3logdrop::geo::map::equal_earth(lon, lat);
    let (x_max, _) = s3logdrop::geo::map::equal_earth(180.0, 0.0);
    let (_, y_max) = s3logdrop::geo::map::equal_earth(0.0, 90.0);
    let unit = m.width as f64 / (2.0 * x_max);
    let (mx, my) = ((x + x_max) * unit, (y_max - y) * unit);
    // As map::draw lays it out.
    let (w, h) = (800.0, 450.0);
    let (top, bottom) = (52.0, h - 34.0);
    let (room_w, room_h) = (w - 16.0, bottom - top);
    let k = (room_w / m.width as f64).min(room_h / m.height as f64);
    let x0 = (w - m.width as f64 * k) / 2.0;
    let y0 = top + (room_h - m.height as f64 * k) / 2.0;
    ((x0 + mx * k).round() as u32, (y0 + my * k).round() as u32)
}

#[test]
fn countries_are_filled_by_their_class() {
    use plotters::prelude::*;
    s3logdrop::chart::register_font();
    let m = WorldMap::builtin();
    let rows = [
        row("US", 500),
        row("FR", 3),
        row("BR", 40),
        row("RU", 1),
        row("", 7),
    ];
    let (w, h) = (800u32, 450u32);
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        map::draw(&root, m, &rows, &MapOptions::default()).unwrap();
        root.present().unwrap();
    }
    let at = |(x, y): (u32, u32)| {
        let i = ((y * w + x) * 3) as usize;
        RGBColor(buf[i], buf[i + 1], buf[i + 2])
    };
    let bounds = classes(500, false);
    let colour = |n: u64| CLASSES[class_of(&bounds, n).unwrap()];
    let same = |a: RGBColor, b: RGBColor| (a.0, a.1, a.2) == (b.0, b.1, b.2);
    let inside = [
        ("US", -100.0, 40.0, colour(500)),
        ("FR", 2.5, 46.5, colour(3)),
        ("BR", -50.0, -10.0, colour(40)),
        // Russia on both sides of the 180th meridian: Siberia and Chukotka.
        ("RU", 100.0, 62.0, colour(1)),
        ("RU", -172.0, 66.0, colour(1)),
        ("CN", 103.0, 35.0, NONE),
        ("AU", 134.0, -25.0, NONE),
    ];
    for (code, lon, lat, want) in inside {
        let got = at(pixel_of(lon, lat, m));
        assert!(
            same(got, want),
            "{code} at {lon},{lat}: {got:?}, not {want:?}"
        );
    }
    // The sea stays white, also along the equator in the Pacific (no ring drawn across the map).
    for (lon, lat) in [(-140.0, 0.0), (-30.0, 30.0), (170.0, -30.0), (-160.0, 20.0)] {
        let got = at(pixel_of(lon, lat, m));
        assert!(same(got, WHITE), "{lon},{lat}: {got:?}");
    }
    // The SVG has the title and one path per ring at least.
    let svg = map::svg(m, &rows, &MapOptions::default()).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("Unique users by country"));
    assert!(
        svg.contains("544 unique users in 4 countries and 7 of no known country"),
        "{}",
        &svg[..400]
    );
}

/// The committed map is what `scripts/update-geo.sh` makes from the pinned package.
#[test]
fn the_built_in_map_is_the_packed_atlas() {
    use std::io::Read;
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| {
        std::fs::read_to_string(root.join("node_modules").join(p))
            .unwrap_or_else(|e| panic!("{p}: {e} (the map's source comes with `npm ci`)"))
    };
    let packed = s3logdrop::geo::pack_map::pack(
        &read("world-atlas/countries-110m.json"),
        &read("i18n-iso-countries/codes.json"),
        WorldMap::builtin().source().clone(),
    )
    .unwrap();
    let inflate = |b: &[u8]| {
        let mut raw = Vec::new();
        flate2::read::DeflateDecoder::new(b)
            .read_to_end(&mut raw)
            .unwrap();
        raw
    };
    let committed = std::fs::read(root.join("src/geo/map.bin")).unwrap();
    assert!(
        inflate(&packed) == inflate(&committed),
        "src/geo/map.bin is stale: run scripts/update-geo.sh"
    );
    assert!(WorldMap::from_packed(&committed[..committed.len() / 2]).is_err());
}
