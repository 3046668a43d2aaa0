//! The method in plain words: one paragraph, made from the settings in force and the
//! report, that a lab can paste into a report to its funder (`methods.txt`, and the page's
//! "How these numbers are counted").

use crate::bots::BotRule;
use crate::period::Period;
use crate::publish::{shown, Kind, Shown};
use crate::report::Report;
use crate::settings::Settings;

/// `12345` as `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A size in decimal units, as disks and providers count them: `5.0 GB`.
pub fn size(bytes: u64) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < units.len() {
        v /= 1000.0;
        i += 1;
    }
    match i {
        0 => format!(
            "{} {}",
            thousands(bytes),
            if bytes == 1 { "byte" } else { "bytes" }
        ),
        _ if v >= 100.0 => format!("{v:.0} {}", units[i]),
        _ => format!("{v:.1} {}", units[i]),
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// `n` things as published: `12,345 downloads`, `<10 downloads`.
fn published(n: u64, kind: Kind, on: bool, one: &str, many: &str) -> String {
    match shown(n, kind, on) {
        Shown::Value(v) => plural(v, one, many),
        Shown::Below => format!("{Below} {many}", Below = Shown::Below),
    }
}

/// What "cloud and hosting networks" are, in the method's words.
const CLOUD_WORDS: &str = "the ranges AWS publishes and the networks of Google Cloud, Microsoft Azure and other cloud and hosting providers, by AS number";

/// The paragraph for the report of `settings`, with `period` the one the tables show.
pub fn paragraph(settings: &Settings, report: &Report, period: Period) -> String {
    let public = settings.publication_rounding;
    let removed = |n| published(n, Kind::Count, public, "download", "downloads");
    let mut p = Vec::new();
    match &report.coverage {
        Some(c) => p.push(format!(
            "Downloads were counted from the Amazon S3 server access logs of the bucket, which cover {} to {} (UTC).",
            c.first_day, c.last_day
        )),
        None => p.push("Downloads were counted from the Amazon S3 server access logs of the bucket.".into()),
    }
    p.push(format!(
        "{} in {} were read; {} could not be read as log lines and {} not counted.",
        plural(report.read.lines, "log line", "log lines"),
        plural(report.read.files, "file", "files"),
        plural(report.read.rejected, "line", "lines"),
        if report.read.rejected == 1 {
            "was"
        } else {
            "were"
        }
    ));
    let mut ops = vec!["REST.GET.OBJECT (a download through the S3 API)"];
    if settings.include_website {
        ops.push("WEBSITE.GET.OBJECT (a download through the bucket's website)");
    }
    let status = if settings.include_206 {
        "status 200 (a whole file) or 206 (a part of a file; each part counts)"
    } else {
        "status 200 (a whole file; partial range requests are not counted)"
    };
    let sizes = if settings.require_sizes {
        ", with the bytes sent and the object size recorded"
    } else {
        ""
    };
    p.push(format!(
        "A download is a request of type {} answered with {}{}.",
        ops.join(" or "),
        status,
        sizes
    ));
    let bots = report.removed.bot;
    p.push(match settings.bots {
        BotRule::Default => format!(
            "Requests whose user agent contains \"bot\" or \"crawl\" were removed as robots ({}), except those of the AWS SDK (botocore, used by aws-cli and boto3), which people use to download.",
            removed(bots)
        ),
        BotRule::Lab => format!(
            "Requests whose user agent contains \"bot\" or \"crawl\" were removed as robots ({}).",
            removed(bots)
        ),
        BotRule::Counter => format!(
            "Requests from user agents on the COUNTER robots list, which also lists scripted clients such as curl, wget and python, were removed ({}).",
            removed(bots)
        ),
        BotRule::Off => "No request was removed as a robot.".into(),
    });
    let mut excluded = Vec::new();
    if settings.exclude_aws_internal {
        excluded
            .push("requests made by AWS itself (replication, inventory, log delivery)".to_string());
    }
    if settings.exclude_cloud {
        excluded.push(format!(
            "{} from cloud and hosting networks ({})",
            removed(report.removed.cloud),
            CLOUD_WORDS
        ));
    }
    let ips: Vec<&str> = settings
        .exclude_ips
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if !ips.is_empty() {
        excluded.push(format!("requests from {}", ips.join(", ")));
    }
    match (&settings.since, &settings.until) {
        (Some(a), Some(b)) => excluded.push(format!("requests outside {a} to {b}")),
        (Some(a), None) => excluded.push(format!("requests before {a}")),
        (None, Some(b)) => excluded.push(format!("requests after {b}")),
        (None, None) => {}
    }
    if let Some(prefix) = settings.prefix.as_deref().filter(|p| !p.is_empty()) {
        excluded.push(format!("files whose key does not start with {prefix}"));
    }
    if !excluded.is_empty() {
        p.push(format!("Not counted: {}.", excluded.join("; ")));
    }
    p.push(format!(
        "That leaves {}, which sent {}.",
        published(
            report.downloads,
            Kind::Count,
            public,
            "counted download",
            "counted downloads"
        ),
        size(report.bytes_sent)
    ));
    p.push(format!(
        "A unique user is an IP address with a counted download (an address written in two ways counts once), counted after robots were removed; {} in all. In each {}, new unique users are those whose first counted download falls in it, and active unique users those with any counted download in it.",
        published(
            report.unique_users,
            Kind::Users,
            public,
            "unique user",
            "unique users"
        ),
        period.name()
    ));
    p.push(
        "Weeks run Monday to Sunday, quarters start in January, April, July and October, and all dates are in UTC; a period the logs cover only in part is marked partial.".into(),
    );
    p.push(if settings.datasets.is_empty() {
        format!(
            "A dataset is the folder of a file's key, cut to its first {}.",
            plural(u64::from(settings.dataset_segments), "folder", "folders")
        )
    } else {
        format!(
            "Datasets are named by a list of {} (the longest matching prefix wins; other files are counted as \"other\").",
            plural(settings.datasets.len() as u64, "key prefix", "key prefixes")
        )
    });
    let known = report
        .countries
        .iter()
        .filter(|c| !c.country_code.is_empty())
        .count();
    p.push(format!(
        "A user's country is the one where their IP address is registered in {} (data of {}), looked up on the same computer; downloads came from {}.",
        report.country_data.licence,
        report.country_data.date,
        plural(known as u64, "country", "countries")
    ));
    if !settings.exclude_cloud {
        let c = report.cloud;
        let share = |n: u64, of: u64| match of {
            0 => "0%".to_string(),
            _ => format!("{:.1}%", n as f64 * 100.0 / of as f64),
        };
        p.push(format!(
            "Of the counted downloads, {} ({}) came from cloud and hosting networks ({}), and {} of the unique users; they are counted.",
            share(c.downloads, report.downloads),
            published(c.downloads, Kind::Count, public, "download", "downloads"),
            CLOUD_WORDS,
            share(c.unique_users, report.unique_users),
        ));
    }
    if public {
        p.push(crate::publish::sentence());
    }
    p.push(format!(
        "Counted with s3logdrop {}, on the person's own computer.",
        env!("CARGO_PKG_VERSION")
    ));
    p.join(" ")
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn sizes_are_for_people() {
        use super::size;
        assert_eq!(size(1), "1 byte");
        assert_eq!(size(999), "999 bytes");
        assert_eq!(size(1_500), "1.5 kB");
        assert_eq!(size(5_049_079_771), "5.0 GB");
        assert_eq!(size(452_000_000_000), "452 GB");
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
