//! The report's periods and datasets against a naive recomputation from the parsed lines:
//! every download kept in a list, grouped with plain maps and sets. Over random
//! generated logs (spread over months and years, with nasty lines), cut into random
//! sessions merged in random order, since month and year user sets must merge like the
//! weekly ones.

mod common;

use common::{generated_logs, run_files};
use s3logdrop::datasets::{parse_mapping, Datasets, OTHER};
use s3logdrop::geo::pack_networks::{self, AwsPrefix};
use s3logdrop::geo::tally::{places, CountryRow, NetworkRow, Tables, Totals};
use s3logdrop::geo::{pack, Cloud, Countries, Networks, Source};
use s3logdrop::ip::IpKey;
use s3logdrop::parse::Parser;
use s3logdrop::period::Period;
use s3logdrop::report::{
    dataset_countries, dataset_networks, dataset_periods, top_objects, PeriodRow, Report,
};
use s3logdrop::settings::{Compiled, Settings};
use s3logdrop::summary::Summary;
use s3logdrop::time::{day_of, iso_date, rfc3339, Day, UnixSeconds};
use std::collections::{BTreeMap, BTreeSet};

/// A counted download as the naive version keeps it.
struct Download {
    time: UnixSeconds,
    ip: Option<IpKey>,
    bytes: u64,
    size: Option<u64>,
    key: Vec<u8>,
}

/// Every counted download and the days the parsed lines cover, the slow way.
fn naive(settings: &Settings, files: &[(String, Vec<u8>)]) -> (Vec<Download>, Option<(Day, Day)>) {
    let mut compiled = Compiled::new(settings).unwrap();
    let mut parser = Parser::new();
    let mut out = Vec::new();
    let mut covered: Option<(Day, Day)> = None;
    for (_, bytes) in files {
        for line in bytes.split(|&c| c == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let Ok(rec) = parser.parse(line) else {
                continue;
            };
            let d = day_of(rec.time);
            covered = Some(covered.map_or((d, d), |(a, b)| (a.min(d), b.max(d))));
            if compiled.is_candidate(rec.operation(), rec.http_status)
                && compiled.removal(&rec).is_none()
            {
                out.push(Download {
                    time: rec.time,
                    ip: rec.remote_ip,
                    bytes: rec.bytes_sent.unwrap_or(0),
                    size: rec.object_size,
                    key: rec.key().unwrap_or(b"-").to_vec(),
                });
            }
        }
    }
    (out, covered)
}

/// The rows of `period` for these downloads, the slow way.
fn naive_periods(
    downloads: &[&Download],
    period: Period,
    covered: Option<(Day, Day)>,
) -> Vec<PeriodRow> {
    if downloads.is_empty() {
        return Vec::new();
    }
    let start = |t: UnixSeconds| period.start(day_of(t));
    let first_of: BTreeMap<IpKey, UnixSeconds> = downloads
        .iter()
        .filter_map(|d| d.ip.map(|ip| (ip, d.time)))
        .fold(BTreeMap::new(), |mut m, (ip, t)| {
            let e = m.entry(ip).or_insert(t);
            *e = (*e).min(t);
            m
        });
    let lo = downloads.iter().map(|d| start(d.time)).min().unwrap();
    let hi = downloads.iter().map(|d| start(d.time)).max().unwrap();
    let mut rows = Vec::new();
    let mut p = lo;
    while p <= hi {
        let next = period.next(p);
        let inside: Vec<&&Download> = downloads.iter().filter(|d| start(d.time) == p).collect();
        let active: BTreeSet<IpKey> = inside.iter().filter_map(|d| d.ip).collect();
        rows.push(PeriodRow {
            period_start: iso_date(p),
            period_end: iso_date(next - 1),
            downloads: inside.len() as u64,
            new_unique_users: first_of.values().filter(|&&t| start(t) == p).count() as u64,
            active_unique_users: active.len() as u64,
            bytes_sent: inside.iter().map(|d| d.bytes).sum(),
            partial: covered.is_none_or(|(a, b)| p < a || next - 1 > b),
        });
        p = next;
    }
    rows
}

/// The files cut into sessions at `cuts`, merged in the order `rotate` gives.
fn merged(
    settings: &Settings,
    files: &[(String, Vec<u8>)],
    cuts: &[usize],
    rotate: usize,
) -> Summary {
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (files.len() + 1)).collect();
    bounds.push(0);
    bounds.push(files.len());
    bounds.sort_unstable();
    let mut parts: Vec<&[(String, Vec<u8>)]> =
        bounds.windows(2).map(|w| &files[w[0]..w[1]]).collect();
    let n = parts.len();
    parts.rotate_left(rotate % n);
    let mut total = Summary::default();
    for p in parts {
        let (s, _) = run_files(settings, p, 1 << 12);
        total.merge(s, settings.reject_samples);
    }
    total.normalize();
    total
}

fn check(settings: &Settings, files: &[(String, Vec<u8>)], summary: &Summary) {
    let report = Report::new(summary);
    let (downloads, covered) = naive(settings, files);
    let all: Vec<&Download> = downloads.iter().collect();
    assert_eq!(report.downloads, all.len() as u64);
    for p in Period::ALL {
        assert_eq!(
            report.periods.get(p),
            naive_periods(&all, p, covered).as_slice(),
            "{p}"
        );
    }
    // The weekly lab columns are the week series.
    assert_eq!(report.weeks.len(), report.periods.week.len());
    // Datasets: totals, and each one's months, with users new in their first month of it.
    let datasets = Datasets::new(settings.dataset_segments, &settings.datasets);
    let mut by: BTreeMap<String, Vec<&Download>> = BTreeMap::new();
    for d in &downloads {
        by.entry(datasets.of(&d.key).0).or_default().push(d);
    }
    assert_eq!(report.datasets.len(), by.len());
    for row in &report.datasets {
        let mine = &by[&row.dataset];
        assert_eq!(row.downloads, mine.len() as u64, "{}", row.dataset);
        assert_eq!(row.bytes_sent, mine.iter().map(|d| d.bytes).sum::<u64>());
        let users: BTreeSet<IpKey> = mine.iter().filter_map(|d| d.ip).collect();
        assert_eq!(row.unique_users, users.len() as u64);
        assert_eq!(
            row.first_download,
            rfc3339(mine.iter().map(|d| d.time).min().unwrap())
        );
        assert_eq!(
            row.last_download,
            rfc3339(mine.iter().map(|d| d.time).max().unwrap())
        );
        let fde: f64 = mine
            .iter()
            .filter_map(|d| d.size.filter(|&s| s > 0).map(|s| d.bytes as f64 / s as f64))
            .sum();
        assert!(
            (row.full_download_equivalents - fde).abs() < 1e-6 * fde.max(1.0),
            "{} vs {fde}",
            row.full_download_equivalents
        );
        assert_eq!(
            dataset_periods(summary, &row.dataset, Period::Month),
            naive_periods(mine, Period::Month, covered),
            "{}",
            row.dataset
        );
    }
    // Most downloaded first.
    assert!(report
        .datasets
        .windows(2)
        .all(|w| w[0].downloads >= w[1].downloads));
    // Countries and networks, with tables made here, of all downloads, of each dataset,
    // and of some days.
    let t = test_tables();
    let report = Report::with_tables(summary, t);
    assert_eq!(report.countries, naive_countries(t, &all));
    assert_eq!(report.networks, naive_networks(t, &all));
    assert_eq!(report.cloud, naive_cloud(t, &all));
    let places = places(summary, t);
    let middle = covered.map(|(a, b)| (a + (b - a) / 3, b - (b - a) / 3));
    fn in_days<'a>(mine: &[&'a Download], days: Option<(Day, Day)>) -> Vec<&'a Download> {
        let (a, b) = days.unwrap();
        mine.iter()
            .copied()
            .filter(|d| (a..=b).contains(&day_of(d.time)))
            .collect()
    }
    for (name, mine) in &by {
        assert_eq!(
            dataset_countries(summary, t, &places, name, None),
            naive_countries(t, mine),
            "{name}"
        );
        let (networks, cloud) = dataset_networks(summary, t, &places, name, None);
        assert_eq!(networks, naive_networks(t, mine), "{name}");
        assert_eq!(cloud, naive_cloud(t, mine), "{name}");
        if middle.is_some() {
            let some = in_days(mine, middle);
            assert_eq!(
                dataset_countries(summary, t, &places, name, middle),
                naive_countries(t, &some),
                "{name} {middle:?}"
            );
            let (networks, cloud) = dataset_networks(summary, t, &places, name, middle);
            assert_eq!(networks, naive_networks(t, &some), "{name} {middle:?}");
            assert_eq!(cloud, naive_cloud(t, &some), "{name} {middle:?}");
        }
    }
    if middle.is_some() {
        assert_eq!(
            dataset_countries(summary, t, &places, "", middle),
            naive_countries(t, &in_days(&all, middle))
        );
    }
    // They add up to the totals, each user once.
    let sum = |f: fn(&CountryRow) -> u64| report.countries.iter().map(f).sum::<u64>();
    assert_eq!(sum(|r| r.downloads), report.downloads);
    assert_eq!(sum(|r| r.bytes_sent), report.bytes_sent);
    assert_eq!(sum(|r| r.unique_users), report.unique_users);
    let sum = |f: fn(&NetworkRow) -> u64| report.networks.iter().map(f).sum::<u64>();
    assert_eq!(sum(|r| r.downloads), report.downloads);
    assert_eq!(sum(|r| r.bytes_sent), report.bytes_sent);
    assert_eq!(sum(|r| r.unique_users), report.unique_users);
}

fn source(name: &str) -> Source {
    Source {
        name: name.into(),
        date: "2026-01-01".into(),
        licence: "test".into(),
    }
}

/// Tables for the generated addresses (IPv4 11-138.x.x.x; IPv6, in no range here),
/// made once. Countries: three and an unknown stretch of IPv4. Networks: AS100 (a
/// university) 11-29, AS200 (Amazon, cloud) 30-59 with an AWS us-east-1 EC2 /8 and an
/// eu-west-1 S3 /8 in it, AS300 (Hetzner, cloud) 60-79, AS400 (an ISP) 80-120, the rest
/// unknown.
fn test_tables() -> Tables<'static> {
    static TABLES: std::sync::OnceLock<(Countries, Networks, Cloud)> = std::sync::OnceLock::new();
    let (c, n, k) = TABLES.get_or_init(|| {
        let v4 = |a: u32| a << 24;
        let csv4 = format!(
            "{},{},FR\n{},{},DE\n{},{},JP\n",
            v4(11),
            v4(50) - 1,
            v4(50),
            v4(90) - 1,
            v4(90),
            v4(100) - 1
        );
        let names = r#"{"countries": {"FR": "France", "DE": "Germany", "JP": "Japan"}}"#;
        let countries =
            Countries::from_packed(&pack::pack(&csv4, "", names, source("test")).unwrap()).unwrap();
        let asn4 = format!(
            "{},{},100,University A\n{},{},200,\"Amazon.com, Inc.\"\n{},{},300,Hetzner Online GmbH\n{},{},400,ISP B\n",
            v4(11),
            v4(30) - 1,
            v4(30),
            v4(60) - 1,
            v4(60),
            v4(80) - 1,
            v4(80),
            v4(121) - 1
        );
        let aws = vec![
            AwsPrefix {
                prefix: "40.0.0.0/8".into(),
                region: "us-east-1".into(),
                service: "EC2".into(),
            },
            AwsPrefix {
                prefix: "41.0.0.0/8".into(),
                region: "eu-west-1".into(),
                service: "S3".into(),
            },
        ];
        let list = "provider,asn,name_in_asn_table\nAmazon Web Services,200,x\nHetzner,300,y\n";
        let (n, k) = pack_networks::pack(pack_networks::Inputs {
            v4_csv: &asn4,
            v6_csv: "",
            source: source("asn"),
            aws,
            aws_source: source("aws"),
            cloud_list: list,
        })
        .unwrap();
        (
            countries,
            Networks::from_packed(&n).unwrap(),
            Cloud::from_packed(&k).unwrap(),
        )
    });
    Tables {
        countries: c,
        networks: n,
        cloud: k,
    }
}

/// The networks of these downloads, the slow way: every download looked up.
fn naive_networks(t: Tables<'_>, downloads: &[&Download]) -> Vec<NetworkRow> {
    type Key = (Option<u32>, String, String, String);
    let mut by: BTreeMap<Key, (u64, u64, BTreeSet<IpKey>)> = BTreeMap::new();
    for d in downloads {
        let key = match d.ip {
            None => (None, String::new(), String::new(), String::new()),
            Some(ip) => {
                let n = t.networks.lookup(ip);
                (
                    t.networks.asn(n),
                    t.networks.name(n).unwrap_or("").to_string(),
                    t.cloud
                        .provider(t.cloud.lookup(ip))
                        .unwrap_or("")
                        .to_string(),
                    t.networks
                        .aws_region(t.networks.aws(ip))
                        .unwrap_or("")
                        .to_string(),
                )
            }
        };
        let e = by.entry(key).or_default();
        e.0 += 1;
        e.1 += d.bytes;
        e.2.extend(d.ip);
    }
    let mut rows: Vec<NetworkRow> = by
        .into_iter()
        .map(
            |((asn, network, cloud, aws_region), (downloads, bytes_sent, users))| NetworkRow {
                asn,
                network,
                cloud,
                aws_region,
                downloads,
                unique_users: users.len() as u64,
                bytes_sent,
            },
        )
        .collect();
    rows.sort_by_key(|r| {
        (
            r.asn.is_none() && r.cloud.is_empty(),
            std::cmp::Reverse(r.downloads),
            r.network.clone(),
            r.asn,
            r.aws_region.clone(),
            r.cloud.clone(),
        )
    });
    rows
}

/// The downloads of these from cloud and hosting networks, the slow way.
fn naive_cloud(t: Tables<'_>, downloads: &[&Download]) -> Totals {
    let cloud: Vec<&&Download> = downloads
        .iter()
        .filter(|d| d.ip.is_some_and(|ip| t.cloud.lookup(ip) != 0))
        .collect();
    Totals {
        downloads: cloud.len() as u64,
        unique_users: cloud
            .iter()
            .filter_map(|d| d.ip)
            .collect::<BTreeSet<_>>()
            .len() as u64,
        bytes_sent: cloud.iter().map(|d| d.bytes).sum(),
    }
}

/// The countries of these downloads, the slow way: every download looked up.
fn naive_countries(t: Tables<'_>, downloads: &[&Download]) -> Vec<CountryRow> {
    let table = t.countries;
    let mut by: BTreeMap<String, (u64, u64, BTreeSet<IpKey>)> = BTreeMap::new();
    for d in downloads {
        let code = d.ip.map_or("", |ip| table.code(table.lookup(ip)));
        let e = by.entry(code.to_string()).or_default();
        e.0 += 1;
        e.1 += d.bytes;
        e.2.extend(d.ip);
    }
    let mut rows: Vec<CountryRow> = by
        .into_iter()
        .map(|(code, (downloads, bytes_sent, users))| CountryRow {
            country: match code.as_str() {
                "FR" => "France",
                "DE" => "Germany",
                "JP" => "Japan",
                _ => "Unknown",
            }
            .to_string(),
            country_code: code,
            downloads,
            unique_users: users.len() as u64,
            bytes_sent,
        })
        .collect();
    rows.sort_by_key(|r| {
        (
            r.country_code.is_empty(),
            std::cmp::Reverse(r.downloads),
            r.country.clone(),
        )
    });
    rows
}

mod periods_property {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]
        #[test]
        fn every_period_and_dataset_equals_a_naive_recount(
            seed in 0u64..1000,
            gap in prop_oneof![Just(40u32), Just(3_000), Just(40_000)],
            cuts in proptest::collection::vec(0usize..10, 0..4),
            rotate in 0usize..10,
            segments in 1u32..3,
            limit in 0usize..40,
            keep_internal in any::<bool>(),
        ) {
            // Kept AWS-internal downloads have no address: their country is unknown.
            let settings = Settings {
                dataset_segments: segments,
                exclude_aws_internal: !keep_internal,
                ..Settings::default()
            };
            let files = generated_logs(seed, 10, 60, gap);
            let summary = merged(&settings, &files, &cuts, rotate);
            check(&settings, &files, &summary);
            // The same whatever the partition.
            let (whole, _) = run_files(&settings, &files, 1 << 20);
            prop_assert!(whole == summary);
            top_objects_are_the_most_downloaded(&files, &summary, limit);
        }
    }
}

/// The page's top objects (the first `limit`) are the first rows of the whole list, and
/// the whole list is every downloaded key, by downloads (most first), ties by key.
fn top_objects_are_the_most_downloaded(
    files: &[(String, Vec<u8>)],
    summary: &Summary,
    limit: usize,
) {
    let (downloads, _) = naive(&Settings::default(), files);
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for d in &downloads {
        *counts
            .entry(String::from_utf8_lossy(&d.key).into_owned())
            .or_default() += 1;
    }
    let mut want: Vec<(String, u64)> = counts.into_iter().collect();
    want.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let all = top_objects(summary, usize::MAX);
    let got: Vec<(String, u64)> = all.iter().map(|r| (r.key.clone(), r.downloads)).collect();
    assert_eq!(got, want);
    let top = top_objects(summary, limit);
    assert_eq!(top.len(), limit.min(all.len()));
    assert!(top
        .iter()
        .zip(&all)
        .all(|(a, b)| a.key == b.key && a.unique_users == b.unique_users));
}

#[test]
fn a_mapping_file_names_datasets_by_the_longest_prefix_and_the_rest_is_other() {
    let files = generated_logs(5, 6, 200, 20_000);
    let mapping =
        parse_mapping("prefix,name,doi\nzarr/,All zarr,\nblobs/,Blobs,10.48324/dandi.000001\n")
            .unwrap();
    let settings = Settings {
        datasets: mapping,
        ..Settings::default()
    };
    let (summary, _) = run_files(&settings, &files, 1 << 16);
    check(&settings, &files, &summary);
    let report = Report::new(&summary);
    let names: BTreeSet<&str> = report.datasets.iter().map(|d| d.dataset.as_str()).collect();
    assert!(
        names.contains("All zarr") && names.contains(OTHER),
        "{names:?}"
    );
    let blobs = report.datasets.iter().find(|d| d.dataset == "Blobs");
    if let Some(b) = blobs {
        assert_eq!(b.doi, "10.48324/dandi.000001");
    }
    assert_eq!(
        report.datasets.iter().map(|d| d.downloads).sum::<u64>(),
        report.downloads,
        "every download is in one dataset"
    );
}

#[test]
fn periods_the_logs_cover_in_part_are_marked_at_both_ends() {
    // Lines from Wednesday 2024-01-10 to Tuesday 2024-03-05: the first and last weeks,
    // months, quarters and years are partial; the weeks and months between are not, even
    // with no download.
    let line = |date: &str, ip: &str, status: u16| {
        format!(
            "o b [{date} +0000] {ip} - R REST.GET.OBJECT ds/x/f \"GET /ds/x/f HTTP/1.1\" {status} - 10 10 1 1 \"-\" \"curl/8\" -\n"
        )
    };
    let text = [
        line("10/Jan/2024:12:00:00", "192.0.2.1", 200),
        line("11/Jan/2024:12:00:00", "192.0.2.2", 200),
        line("20/Feb/2024:12:00:00", "192.0.2.1", 200),
        // Parsed, not a download: it still extends what the logs cover.
        line("05/Mar/2024:08:00:00", "192.0.2.3", 404),
    ]
    .concat();
    let (s, _) = run_files(&Settings::default(), &[("a".into(), text.into_bytes())], 7);
    let r = Report::new(&s);
    let cov = r.coverage.as_ref().unwrap();
    assert_eq!(
        (cov.first_day.as_str(), cov.last_day.as_str()),
        ("2024-01-10", "2024-03-05")
    );
    let weeks = &r.periods.week;
    assert_eq!(weeks.first().unwrap().period_start, "2024-01-08");
    assert!(weeks.first().unwrap().partial);
    // Every week to the last download (the week of Feb 19), zeros included, complete.
    assert_eq!(weeks.last().unwrap().period_start, "2024-02-19");
    assert!(weeks[1..].iter().all(|w| !w.partial));
    assert!(weeks.iter().any(|w| w.downloads == 0));
    let months = &r.periods.month;
    assert_eq!(months.len(), 2);
    assert!(months[0].partial, "January starts before the logs");
    assert!(!months[1].partial, "February is covered in full");
    assert_eq!(
        (months[0].new_unique_users, months[1].new_unique_users),
        (2, 0)
    );
    assert_eq!(months[1].active_unique_users, 1);
    assert!(r.periods.quarter[0].partial && r.periods.year[0].partial);
    assert_eq!(r.periods.day.len(), 42, "every day from Jan 10 to Feb 20");
    assert!(r.periods.day.iter().all(|d| !d.partial));
}

#[test]
fn publication_rounding_hides_small_counts_and_rounds_users_in_the_csvs_and_the_method() {
    use s3logdrop::outputs::{Anonymize, Outputs};
    let line = |ip: &str, key: &str| {
        format!(
            "o b [10/Jan/2024:12:00:00 +0000] {ip} - R REST.GET.OBJECT {key} \"GET /{key} HTTP/1.1\" 200 - 10 10 1 1 \"-\" \"curl/8\" -\n"
        )
    };
    // 3 users of a/x, 25 of b/y: 28 users, 28 downloads.
    let mut text = String::new();
    for i in 0..3 {
        text += &line(&format!("192.0.2.{i}"), "a/x/f");
    }
    for i in 0..25 {
        text += &line(&format!("198.51.100.{i}"), "b/y/f");
    }
    let write = |publication_rounding: bool, name: &str| {
        let settings = Settings {
            publication_rounding,
            ..Settings::default()
        };
        let (mut s, _) = run_files(&settings, &[("a".into(), text.clone().into_bytes())], 9);
        s.normalize();
        let report = Report::new(&s);
        let mut out = Vec::new();
        Outputs {
            summary: &s,
            report: &report,
            settings: &settings,
            anon: &Anonymize::None,
            period: Period::Month,
        }
        .write(name, &mut out)
        .unwrap();
        String::from_utf8(out).unwrap()
    };
    let datasets = write(true, "downloads_per_dataset.csv");
    let rows: Vec<&str> = datasets.lines().collect();
    assert!(rows[1].starts_with("b/y,,25,30,250,25.00,"), "{datasets}");
    assert!(rows[2].starts_with("a/x,,<10,<10,30,<10,"), "{datasets}");
    assert!(write(false, "downloads_per_dataset.csv").contains("a/x,,3,3,30,3.00,"));
    let months = write(true, "downloads_per_month.csv");
    assert!(
        months.contains("2024-01-01,2024-01-31,28,30,30,280,"),
        "{months}"
    );
    let per_month = write(true, "downloads_per_dataset_per_month.csv");
    assert!(
        per_month.contains("a/x,2024-01-01,2024-01-31,<10,<10,<10,30,"),
        "{per_month}"
    );
    let objects = write(true, "top_objects.csv");
    assert!(objects.contains("a/x/f,a/x/f,<10,<10,30"), "{objects}");
    let method = write(true, "methods.txt");
    assert!(method.contains("30 unique users in all"), "{method}");
    assert!(method.contains("rounded to the nearest 10"), "{method}");
    let exact = write(false, "methods.txt");
    assert!(exact.contains("28 unique users in all") && !exact.contains("rounded"));
    // summary.json is data: exact either way.
    assert!(write(true, "summary.json").contains("\"unique_users\": 28"));
}

/// Kept AWS-internal downloads have no address: their country is unknown, with no user.
#[test]
fn downloads_with_no_address_are_unknown_and_nobody() {
    let line = |ip: &str| {
        format!(
            "o b [10/Jan/2024:12:00:00 +0000] {ip} - R REST.GET.OBJECT ds/x/f \"GET /ds/x/f HTTP/1.1\" 200 - 10 10 1 1 \"-\" \"curl/8\" -\n"
        )
    };
    let text = format!("{}{}{}", line("12.0.0.1"), line("-"), line("-"));
    let settings = Settings {
        exclude_aws_internal: false,
        ..Settings::default()
    };
    let (mut s, _) = run_files(&settings, &[("a".into(), text.into_bytes())], 1 << 12);
    s.normalize();
    let r = Report::with_tables(&s, test_tables());
    let got: Vec<(&str, u64, u64, u64)> = r
        .countries
        .iter()
        .map(|c| {
            (
                c.country_code.as_str(),
                c.downloads,
                c.unique_users,
                c.bytes_sent,
            )
        })
        .collect();
    assert_eq!(got, [("FR", 1, 1, 10), ("", 2, 0, 20)]);
}

/// "Exclude cloud and hosting networks" removes exactly the downloads whose address the
/// built-in cloud table holds, counts them as removed, and the report without it says
/// the same share.
#[test]
fn excluding_cloud_networks_removes_their_downloads_and_counts_them() {
    let files = generated_logs(7, 6, 400, 3_000);
    let off = Settings::default();
    let on = Settings {
        exclude_cloud: true,
        ..Settings::default()
    };
    let (all, _) = naive(&off, &files);
    let cloud = Cloud::builtin();
    let (from_cloud, rest): (Vec<&Download>, Vec<&Download>) = all
        .iter()
        .partition(|d| d.ip.is_some_and(|ip| cloud.lookup(ip) != 0));
    assert!(
        from_cloud.len() > 10 && rest.len() > 10,
        "{}",
        from_cloud.len()
    );
    let (mut s_off, _) = run_files(&off, &files, 1 << 12);
    let (mut s_on, _) = run_files(&on, &files, 1 << 12);
    s_off.normalize();
    s_on.normalize();
    let (r_off, r_on) = (Report::new(&s_off), Report::new(&s_on));
    assert_eq!(r_on.downloads, rest.len() as u64);
    assert_eq!(r_on.removed.cloud, from_cloud.len() as u64);
    assert_eq!(r_off.removed.cloud, 0);
    assert_eq!(r_on.cloud, Totals::default());
    let users = |v: &[&Download]| v.iter().filter_map(|d| d.ip).collect::<BTreeSet<_>>().len();
    assert_eq!(r_on.unique_users, users(&rest) as u64);
    assert_eq!(
        r_off.cloud,
        Totals {
            downloads: from_cloud.len() as u64,
            unique_users: users(&from_cloud) as u64,
            bytes_sent: from_cloud.iter().map(|d| d.bytes).sum(),
        }
    );
    assert!(r_on.networks.iter().all(|n| n.cloud.is_empty()));
    let method = |s: &Settings, r: &Report| s3logdrop::methods::paragraph(s, r, Period::Month);
    let (m_off, m_on) = (method(&off, &r_off), method(&on, &r_on));
    assert!(
        m_off.contains("came from cloud and hosting networks"),
        "{m_off}"
    );
    assert!(
        m_on.contains(&format!(
            "{} downloads from cloud and hosting networks",
            from_cloud.len()
        )),
        "{m_on}"
    );
}
