//! The main-thread glue in Chromium (wasm-bindgen-test): merging the workers' partial
//! summaries, the report object the page reads, the summary outputs, and the chart drawn
//! on a real canvas.
#![cfg(target_arch = "wasm32")]

use s3logdrop::outputs;
use s3logdrop::summary::PartOfFile;
use s3logdrop::web::app::{check_settings, default_settings, Analysis};
use s3logdrop::{Report, Session, Settings, Summary};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const EDGE: &[u8] = include_bytes!("../fixtures/own/edge_cases.log");
const CORPUS: &[u8] = include_bytes!("../fixtures/corpus/dandi-s3-log-parser__tests.log");

fn summary(files: &[(&str, &[u8])]) -> Summary {
    let mut s = Session::new(&Settings::default()).unwrap();
    for (name, bytes) in files {
        s.begin_file(name);
        s.push(bytes).unwrap();
        s.end_file().unwrap();
    }
    s.finish().unwrap().0
}

/// Reads one byte range of a file into a worker's session, as a worker does; what the
/// range says about its file as a whole.
fn part(worker: &mut Session, name: &str, bytes: &[u8]) -> PartOfFile {
    worker.begin_part(name);
    worker.push(bytes).unwrap();
    worker.end_part().unwrap().unwrap()
}

/// The country and network tables, as the page's main program hands them over at start.
fn provide_tables() {
    s3logdrop::geo::provide(
        include_bytes!("../src/geo/countries.bin"),
        include_bytes!("../src/geo/networks.bin"),
        include_bytes!("../src/geo/map.bin"),
    );
}

#[wasm_bindgen_test]
fn merged_parts_give_the_whole_and_the_same_outputs() {
    provide_tables();
    let files: [(&str, &[u8]); 3] = [("a.log", EDGE), ("b.log", CORPUS), ("d.log", EDGE)];
    let whole = summary(&files);
    let mut a = Analysis::new(&default_settings()).unwrap();
    for f in &files[..2] {
        a.add(&summary(std::slice::from_ref(f)).to_bytes()).unwrap();
    }
    // d.log in two byte ranges, in two workers: each posts what the range says about the
    // file, and its summary without it.
    let cut = EDGE[..EDGE.len() / 2]
        .iter()
        .rposition(|&c| c == b'\n')
        .unwrap()
        + 1;
    for (i, range) in [&EDGE[cut..], &EDGE[..cut]].into_iter().enumerate().rev() {
        let mut worker = Session::new(&Settings::default()).unwrap();
        let mine = part(&mut worker, "d.log", range);
        a.add_part("d.log", 1 - i, 2, &mine.to_bytes()).unwrap();
        a.add(&worker.finish().unwrap().0.to_bytes()).unwrap();
    }
    assert!(a.add_part("d.log", 0, 2, &[1, 2, 3]).is_err());
    a.commit().unwrap();
    // A run that is cancelled leaves the analysis as it was.
    a.add(&summary(&[("c.log", CORPUS)]).to_bytes()).unwrap();
    let mine = part(
        &mut Session::new(&Settings::default()).unwrap(),
        "e.log",
        EDGE,
    );
    a.add_part("e.log", 0, 2, &mine.to_bytes()).unwrap();
    assert!(a.commit().is_err(), "a part is missing");
    a.discard();
    a.commit().unwrap();
    assert!(a.add(b"not a summary").is_err());
    let report = Report::new(&whole);
    let settings = Settings::default();
    let made = outputs::Outputs {
        summary: &whole,
        report: &report,
        settings: &settings,
        anon: &outputs::Anonymize::None,
        period: s3logdrop::period::Period::Month,
    };
    for name in outputs::SUMMARY_OUTPUTS {
        let mut want = Vec::new();
        made.write(name, &mut want).unwrap();
        assert_eq!(a.output(name, "month").unwrap(), want, "{name}");
    }
    assert!(a.output("methods.txt", "fortnight").is_err());
    let js = a.report().unwrap();
    let get = |k: &str| js_sys::Reflect::get(&js, &k.into()).unwrap();
    assert_eq!(get("downloads").as_f64().unwrap() as u64, whole.downloads);
    assert_eq!(get("lines").as_f64().unwrap() as u64, whole.read.lines);
    assert_eq!(
        js_sys::Array::from(&get("weeks")).length() as usize,
        report.weeks.len()
    );
    assert!(a.output("no_such_file.csv", "week").is_err());
    // A dataset's periods, and the method of the chosen period.
    let first = &report.datasets[0];
    let rows = a.dataset_periods(&first.dataset, "year").unwrap();
    assert!(js_sys::Array::from(&rows).length() >= 1);
    assert!(a.methods("quarter").unwrap().contains("In each quarter"));
    // Where a dataset's downloads came from, on some days, as natively.
    let mut normal = whole.clone();
    normal.normalize();
    let t = s3logdrop::geo::tally::Tables::builtin();
    let places = s3logdrop::geo::tally::places(&normal, t);
    let days = Some((
        s3logdrop::time::parse_iso_date("2019-01-01").unwrap(),
        s3logdrop::time::parse_iso_date("2030-12-31").unwrap(),
    ));
    for (name, from, to) in [
        (first.dataset.as_str(), "2019-01-01", "2030-12-31"),
        ("", "", ""),
    ] {
        let scope = (!from.is_empty()).then_some(days).flatten();
        let g = a.geography(name, from, to).unwrap();
        let field = |k: &str| {
            let v = js_sys::Reflect::get(&g, &k.into()).unwrap();
            String::from(js_sys::JSON::stringify(&v).unwrap())
        };
        let (networks, cloud) =
            s3logdrop::report::dataset_networks(&normal, t, &places, name, scope);
        let countries = s3logdrop::report::dataset_countries(&normal, t, &places, name, scope);
        assert_eq!(field("networks"), serde_json::to_string(&networks).unwrap());
        assert_eq!(
            field("countries"),
            serde_json::to_string(&countries).unwrap()
        );
        assert_eq!(field("cloud"), serde_json::to_string(&cloud).unwrap());
        assert!(!networks.is_empty());
    }
    assert!(a.geography("", "not a day", "").is_err());
}

#[wasm_bindgen_test]
fn settings_are_checked_with_a_sentence() {
    assert!(check_settings(&default_settings()).is_ok());
    let bad =
        default_settings().replace("\"exclude_ips\": []", "\"exclude_ips\": [\"10.0.0.0/99\"]");
    assert!(check_settings(&bad).is_err());
    assert!(check_settings("{\"no_such_setting\": 1}").is_err());
}

#[wasm_bindgen_test]
fn the_chart_is_drawn_on_a_canvas() {
    let doc = web_sys::window().unwrap().document().unwrap();
    let canvas: web_sys::HtmlCanvasElement = doc.create_element("canvas").unwrap().unchecked_into();
    canvas.set_width(800);
    canvas.set_height(500);
    doc.body().unwrap().append_child(&canvas).unwrap();
    provide_tables();
    let mut a = Analysis::new(&default_settings()).unwrap();
    a.add(&summary(&[("b.log", CORPUS)]).to_bytes()).unwrap();
    a.commit().unwrap();
    a.draw(canvas.clone(), "week", "", true, 1.0).unwrap();
    let ctx: web_sys::CanvasRenderingContext2d =
        canvas.get_context("2d").unwrap().unwrap().unchecked_into();
    let data = ctx.get_image_data(0.0, 0.0, 800.0, 500.0).unwrap().data();
    let blue = data
        .chunks(4)
        .filter(|p| p[0] == 0 && p[1] == 90 && p[2] == 181)
        .count();
    assert!(blue > 20, "{blue} pixels of the downloads colour");
    // The same chart as SVG, and a dataset's.
    let svg = a.chart_svg("month", "", false).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("Downloads per month"));
    assert!(a.chart_svg("month", "no such dataset", false).is_err());
    // The map, on a canvas and as SVG (the corpus's addresses are in no country: all grey).
    a.draw_map(canvas.clone(), "", "", "", 1.0).unwrap();
    let data = ctx.get_image_data(0.0, 0.0, 800.0, 500.0).unwrap().data();
    let grey = data
        .chunks(4)
        .filter(|p| p[0] == 228 && p[1] == 228 && p[2] == 228)
        .count();
    assert!(grey > 20_000, "{grey} pixels of countries with no user");
    let svg = a.map_svg("", "2000-01-01", "2030-12-31").unwrap();
    assert!(
        svg.contains("Unique users by country") && svg.contains("from 2000-01-01 to 2030-12-31")
    );
}

#[wasm_bindgen_test]
fn the_byte_finder_agrees_with_a_byte_by_byte_search_in_wasm() {
    // The simd128 path of `scan::find_byte` (the native tests cover SSE2 and words).
    let mut x = 0x9E37_79B9u32;
    for len in 0..80usize {
        let hay: Vec<u8> = (0..len)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                [b' ', b'"', b'a', 0xa0, 0x20 | 0x80][(x >> 24) as usize % 5]
            })
            .collect();
        for from in 0..=len {
            for needle in [b' ', b'"', 0xa0] {
                let want = hay[from..]
                    .iter()
                    .position(|&c| c == needle)
                    .map_or(len, |i| from + i);
                assert_eq!(s3logdrop::scan::find_byte(&hay, from, needle), want);
            }
        }
    }
}
