//! Downloads by country: each user's address looked up once, when the report is made
//! (never once per line), and each day's per-user downloads added up by country.

use super::{Countries, CountryId};
use crate::summary::{DatasetAgg, Summary};
use serde::Serialize;

/// One country's downloads, users and bytes (of all datasets or of one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CountryRow {
    /// ISO 3166 two-letter code; empty for addresses no range holds (and downloads with
    /// no address, which the AWS-internal setting can keep).
    pub country_code: String,
    /// English name (`Unknown` for the empty code).
    pub country: String,
    /// Counted downloads.
    pub downloads: u64,
    /// Distinct users (a user is one address, so in one country).
    pub unique_users: u64,
    /// Sum of bytes_sent.
    pub bytes_sent: u64,
}

/// Each user's country number, by user id: each distinct user looked up once.
pub fn user_countries(s: &Summary, t: &Countries) -> Vec<CountryId> {
    s.users.iter().map(|(ip, _)| t.lookup(ip)).collect()
}

/// The countries of the downloads of `datasets` (all of the summary's, or one), most
/// downloaded first (ties by name), "Unknown" last; `by_user` is [`user_countries`]'s.
pub fn countries<'a>(
    s: &Summary,
    t: &Countries,
    by_user: &[CountryId],
    datasets: impl IntoIterator<Item = &'a DatasetAgg>,
) -> Vec<CountryRow> {
    #[derive(Clone, Copy, Default)]
    struct Acc {
        downloads: u64,
        users: u64,
        bytes_sent: u64,
    }
    let mut acc = [Acc::default(); 256];
    // A user on several days or in several datasets counts once: marked when first met.
    let mut met = vec![false; s.users.len()];
    for d in datasets {
        for x in d.days() {
            let (mut downloads, mut bytes_sent) = (0, 0);
            for (&u, c) in x.users.iter().zip(x.counts) {
                let a = &mut acc[by_user[u as usize] as usize];
                a.downloads += c.downloads;
                a.bytes_sent += c.bytes_sent;
                if !std::mem::replace(&mut met[u as usize], true) {
                    a.users += 1;
                }
                downloads += c.downloads;
                bytes_sent += c.bytes_sent;
            }
            // Downloads with no address (AWS-internal ones, when kept) are nobody's.
            acc[0].downloads += x.downloads.saturating_sub(downloads);
            acc[0].bytes_sent += x.bytes_sent.saturating_sub(bytes_sent);
        }
    }
    let mut rows: Vec<CountryRow> = acc
        .iter()
        .enumerate()
        .filter(|(_, a)| a.downloads > 0 || a.users > 0)
        .map(|(i, a)| CountryRow {
            country_code: t.code(i as CountryId).to_string(),
            country: t.name(i as CountryId).to_string(),
            downloads: a.downloads,
            unique_users: a.users,
            bytes_sent: a.bytes_sent,
        })
        .collect();
    rows.sort_by(|a, b| {
        (
            a.country_code.is_empty(),
            std::cmp::Reverse(a.downloads),
            &a.country,
        )
            .cmp(&(
                b.country_code.is_empty(),
                std::cmp::Reverse(b.downloads),
                &b.country,
            ))
    });
    rows
}
