//! Every definition the counts depend on, as one serde struct with DESIGN.md's defaults,
//! and its compiled form used on the hot path.

use crate::bots::{BotMatcher, BotRule};
use crate::datasets::{DatasetRule, Datasets};
use crate::ip::{Cidr, IpKey};
use crate::time::{parse_iso_date, Day};
use serde::{Deserialize, Serialize};

/// What counts as a download, who is excluded, and how lines are read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Also count WEBSITE.GET.OBJECT (downloads through the static-website endpoint).
    pub include_website: bool,
    /// Also count status 206 (one range of a download; a file fetched in 10 ranges counts 10 times).
    pub include_206: bool,
    /// Require bytes_sent and object_size to be present (the lab's definition).
    pub require_sizes: bool,
    /// Which user agents are robots.
    pub bots: BotRule,
    /// IP addresses or CIDR ranges whose downloads are not counted (IPv4 and IPv6).
    pub exclude_ips: Vec<String>,
    /// Exclude AWS-internal requests: remote_ip `-`, requester `svc:...` or `AmazonS3`.
    pub exclude_aws_internal: bool,
    /// Exclude downloads from cloud and hosting networks (AWS's published ranges and the
    /// networks of `src/geo/cloud.csv`): machines, not people at their computers.
    pub exclude_cloud: bool,
    /// First day counted, `YYYY-MM-DD` (UTC), inclusive.
    pub since: Option<String>,
    /// Last day counted, `YYYY-MM-DD` (UTC), inclusive.
    pub until: Option<String>,
    /// Count only keys that start with this prefix (raw or URL-decoded).
    pub prefix: Option<String>,
    /// A key's dataset is its folder cut to this many path segments (when no mapping is
    /// given): `zarr/<id>/0/1` is in `zarr/<id>` with 2.
    #[serde(alias = "prefix_segments")]
    pub dataset_segments: u32,
    /// Datasets by key prefix (the mapping file `prefix,name,doi`); the longest matching
    /// prefix wins, and keys that match none are "other". Empty: by folder.
    pub datasets: Vec<DatasetRule>,
    /// Lines longer than this many bytes are rejected as `line_too_long`.
    pub max_line_bytes: u64,
    /// Stop inflating a gzip file after this many bytes (a guard against gzip bombs).
    pub max_inflated_bytes: u64,
    /// Stop inflating a gzip file once it has inflated to more than this many times its
    /// stored size, and past
    /// [`INFLATE_RATIO_FLOOR`](crate::decode::INFLATE_RATIO_FLOOR) bytes (0: no ratio limit). Logs
    /// inflate 5 to 30 times; deflate's maximum is about 1,032.
    pub max_inflate_ratio: u64,
    /// How many sample lines to keep per rejection reason.
    pub reject_samples: u32,
    /// For publication: unique-user counts rounded to 10 and counts from 1 to 9 shown as
    /// `<10` in the tables, the CSVs and the methods (see [`crate::publish`]).
    pub publication_rounding: bool,
    /// Also count by the COUNTER Code of Practice for Research Data (see
    /// [`crate::counter`]): investigations and requests per dataset, month and access
    /// method, with its own robots and machines, double-clicks and sessions.
    pub counter: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            include_website: false,
            include_206: false,
            require_sizes: true,
            bots: BotRule::Default,
            exclude_ips: Vec::new(),
            exclude_aws_internal: true,
            exclude_cloud: false,
            since: None,
            until: None,
            prefix: None,
            dataset_segments: 2,
            datasets: Vec::new(),
            max_line_bytes: crate::line::DEFAULT_MAX_LINE as u64,
            max_inflated_bytes: 256 << 30,
            max_inflate_ratio: 250,
            reject_samples: 5,
            publication_rounding: false,
            counter: false,
        }
    }
}

/// Why a candidate download was not counted; the summary counts each.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Removal {
    /// bytes_sent or object_size is `-`.
    MissingSize,
    /// Outside since/until.
    OutsideDates,
    /// The key does not start with the prefix.
    OutsidePrefix,
    /// AWS-internal requester.
    AwsInternal,
    /// An excluded IP or range.
    ExcludedIp,
    /// The bot rule.
    Bot,
    /// A cloud or hosting network (the `exclude_cloud` setting).
    Cloud,
}

/// Settings checked and prepared for the hot path.
pub struct Compiled {
    /// The settings as given.
    pub settings: Settings,
    exclude: Vec<Cidr>,
    /// The cloud table when `exclude_cloud` is on, with the last address asked about and
    /// its answer (a user's lines often come one after another).
    cloud: Option<(&'static crate::geo::Cloud, Option<(IpKey, bool)>)>,
    since: Option<Day>,
    until: Option<Day>,
    prefix: Option<Vec<u8>>,
    bots: BotMatcher,
    /// Which dataset a key is in.
    pub datasets: Datasets,
}

impl Compiled {
    /// Checks the settings; the error says which one is wrong and why.
    pub fn new(settings: &Settings) -> Result<Compiled, String> {
        let exclude = settings
            .exclude_ips
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| Cidr::parse(s))
            .collect::<Result<Vec<_>, _>>()?;
        let day = |name: &str, v: &Option<String>| -> Result<Option<Day>, String> {
            match v.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(s) => parse_iso_date(s)
                    .map(Some)
                    .ok_or_else(|| format!("{name}: `{s}` is not a date like 2024-01-31")),
            }
        };
        let since = day("since", &settings.since)?;
        let until = day("until", &settings.until)?;
        if let (Some(a), Some(b)) = (since, until) {
            if a > b {
                return Err("since is after until".into());
            }
        }
        if settings.dataset_segments == 0 {
            return Err("dataset_segments must be at least 1".into());
        }
        if settings.max_line_bytes == 0 {
            return Err("max_line_bytes must be at least 1".into());
        }
        Ok(Compiled {
            settings: settings.clone(),
            exclude,
            cloud: settings
                .exclude_cloud
                .then(|| (crate::geo::Cloud::builtin(), None)),
            since,
            until,
            prefix: settings
                .prefix
                .as_deref()
                .filter(|p| !p.is_empty())
                .map(|p| p.as_bytes().to_vec()),
            bots: BotMatcher::new(settings.bots),
            datasets: Datasets::new(settings.dataset_segments, &settings.datasets),
        })
    }

    /// True for the operations and statuses that make a download (before any filter).
    #[inline]
    pub fn is_candidate(&self, operation: &[u8], status: Option<u16>) -> bool {
        let op_ok = operation == b"REST.GET.OBJECT"
            || (self.settings.include_website && operation == b"WEBSITE.GET.OBJECT");
        op_ok && (status == Some(200) || (self.settings.include_206 && status == Some(206)))
    }

    /// The filters COUNTER's count shares with the downloads': dates, prefix,
    /// AWS-internal requests, excluded IPs.
    #[inline]
    pub fn common_removal(&self, rec: &crate::parse::Record<'_>) -> Option<Removal> {
        if self.since.is_some() || self.until.is_some() {
            let d = crate::time::day_of(rec.time);
            if self.since.is_some_and(|s| d < s) || self.until.is_some_and(|u| d > u) {
                return Some(Removal::OutsideDates);
            }
        }
        if let Some(p) = &self.prefix {
            let key = rec.key().unwrap_or(b"");
            if !key.starts_with(p) && !crate::text::url_decode(key).as_bytes().starts_with(p) {
                return Some(Removal::OutsidePrefix);
            }
        }
        if self.settings.exclude_aws_internal && is_aws_internal(rec.remote_ip, rec.requester()) {
            return Some(Removal::AwsInternal);
        }
        if let Some(ip) = rec.remote_ip {
            if self.exclude.iter().any(|c| c.contains(ip)) {
                return Some(Removal::ExcludedIp);
            }
        }
        None
    }

    /// Applies the filters, in the order the summary reports them.
    #[inline]
    pub fn removal(&mut self, rec: &crate::parse::Record<'_>) -> Option<Removal> {
        if self.settings.require_sizes && (rec.bytes_sent.is_none() || rec.object_size.is_none()) {
            return Some(Removal::MissingSize);
        }
        if let Some(r) = self.common_removal(rec) {
            return Some(r);
        }
        if self.bots.is_bot(rec.user_agent()) {
            return Some(Removal::Bot);
        }
        // Last: what it removes is what the report's cloud share counts when it is off.
        if let (Some((table, last)), Some(ip)) = (&mut self.cloud, rec.remote_ip) {
            let cloud = match *last {
                Some((at, answer)) if at == ip => answer,
                _ => {
                    let answer = table.lookup(ip) != 0;
                    *last = Some((ip, answer));
                    answer
                }
            };
            if cloud {
                return Some(Removal::Cloud);
            }
        }
        None
    }
}

/// AWS-internal actions: no remote IP, or a requester that is an AWS service.
pub fn is_aws_internal(ip: Option<IpKey>, requester: Option<&[u8]>) -> bool {
    ip.is_none() || requester.is_some_and(|r| r.starts_with(b"svc:") || r == b"AmazonS3")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_settings_are_explained() {
        let s = Settings {
            exclude_ips: vec!["10.0.0.0/40".into()],
            ..Settings::default()
        };
        assert!(Compiled::new(&s).err().unwrap().contains("0 to 32"));
        let s = Settings {
            since: Some("2024-13-01".into()),
            ..Settings::default()
        };
        assert!(Compiled::new(&s).err().unwrap().contains("since"));
        let s: Settings = serde_json::from_str(r#"{"bots":"counter","include_206":true}"#).unwrap();
        assert_eq!(s.bots, BotRule::Counter);
        assert!(s.require_sizes);
        assert!(serde_json::from_str::<Settings>(r#"{"bot":"x"}"#).is_err());
    }
}
