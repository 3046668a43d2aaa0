//! The line parser: one S3 server access log line into zero-copy field spans.
//!
//! The request_uri, referer and user_agent are quoted without escaping, so the parser is
//! anchored on what cannot appear in them: the request_uri ends at the first `"` that is
//! followed by ` STATUS ERROR BYTES SIZE TOTAL TURNAROUND ` (DESIGN.md), the user agent
//! ends at the last `"` of the line (later fields never hold quotes), and referer and
//! user agent split at `" "`.

use crate::ip::{parse_ip, IpKey};
use crate::scan::find_byte;
use crate::time::{TimeCache, UnixSeconds};
use memchr::{memchr, memrchr};
use serde::{Deserialize, Serialize};

/// The field names of DESIGN.md, in log order.
pub const FIELD_NAMES: [&str; 27] = [
    "bucket_owner",
    "bucket",
    "time",
    "remote_ip",
    "requester",
    "request_id",
    "operation",
    "key",
    "request_uri",
    "http_status",
    "error_code",
    "bytes_sent",
    "object_size",
    "total_time",
    "turn_around_time",
    "referer",
    "user_agent",
    "version_id",
    "host_id",
    "signature_version",
    "cipher_suite",
    "authentication_type",
    "host_header",
    "tls_version",
    "access_point_arn",
    "acl_required",
    "source_region",
];

/// Index of a field in [`FIELD_NAMES`].
#[allow(missing_docs)]
pub mod f {
    pub const BUCKET_OWNER: usize = 0;
    pub const BUCKET: usize = 1;
    pub const TIME: usize = 2;
    pub const REMOTE_IP: usize = 3;
    pub const REQUESTER: usize = 4;
    pub const REQUEST_ID: usize = 5;
    pub const OPERATION: usize = 6;
    pub const KEY: usize = 7;
    pub const REQUEST_URI: usize = 8;
    pub const HTTP_STATUS: usize = 9;
    pub const ERROR_CODE: usize = 10;
    pub const BYTES_SENT: usize = 11;
    pub const OBJECT_SIZE: usize = 12;
    pub const TOTAL_TIME: usize = 13;
    pub const TURN_AROUND_TIME: usize = 14;
    pub const REFERER: usize = 15;
    pub const USER_AGENT: usize = 16;
}

/// Why a line was rejected: a small fixed set, shown to the user.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reject {
    /// Does not have the shape of an S3 access log line (no `[time]` as third field).
    NotALogLine,
    /// Fields are missing: the line has a `[time]` but stops before the user agent, or
    /// starts at the time.
    Truncated,
    /// The `[time]` field is not `DD/Mon/YYYY:HH:MM:SS +ZZZZ` or names an impossible date.
    BadTime,
    /// remote_ip is neither an IPv4 nor an IPv6 address nor `-`.
    BadRemoteIp,
    /// No `"` closes the request_uri before a valid status, error code, sizes and times.
    BadRequestUri,
    /// referer / user_agent are not quoted fields or `-`.
    BadUserAgent,
    /// The line is longer than the line-length cap.
    LineTooLong,
}

impl Reject {
    /// Every reason, in the order reports list them.
    pub const ALL: [Reject; 7] = [
        Reject::NotALogLine,
        Reject::Truncated,
        Reject::BadTime,
        Reject::BadRemoteIp,
        Reject::BadRequestUri,
        Reject::BadUserAgent,
        Reject::LineTooLong,
    ];

    /// The reason's name as written in reports (`bad_time`).
    pub fn name(self) -> &'static str {
        match self {
            Reject::NotALogLine => "not_a_log_line",
            Reject::Truncated => "truncated",
            Reject::BadTime => "bad_time",
            Reject::BadRemoteIp => "bad_remote_ip",
            Reject::BadRequestUri => "bad_request_uri",
            Reject::BadUserAgent => "bad_user_agent",
            Reject::LineTooLong => "line_too_long",
        }
    }

    /// One sentence for people.
    pub fn explain(self) -> &'static str {
        match self {
            Reject::NotALogLine => {
                "does not look like an S3 access log line (no [time] as third field)"
            }
            Reject::Truncated => "fields are missing: the line has a [time] but is cut short",
            Reject::BadTime => {
                "the [time] field is not a valid date and time (from 2006, when S3 began, to 2099)"
            }
            Reject::BadRemoteIp => "the remote IP is not an IP address",
            Reject::BadRequestUri => {
                "the quoted request URI is not followed by status, error code, sizes and times"
            }
            Reject::BadUserAgent => "the referer / user agent are not quoted fields",
            Reject::LineTooLong => "the line is longer than the line-length cap",
        }
    }
}

/// One parsed line: the raw text of each field (quotes removed) and the typed values
/// that filtering needs. Fields 18 and later are split only when asked for.
#[derive(Clone, Debug)]
pub struct Record<'a> {
    /// Raw bytes of fields 1–17 (`-` when absent).
    pub head: [&'a [u8]; 17],
    /// The text after the user agent: fields 18 and later, space separated.
    pub trailing: &'a [u8],
    /// `time` in UTC seconds, the offset applied.
    pub time: UnixSeconds,
    /// The remote IP, `None` for `-`.
    pub remote_ip: Option<IpKey>,
    /// http_status, `None` for `-`.
    pub http_status: Option<u16>,
    /// bytes_sent, `None` for `-`.
    pub bytes_sent: Option<u64>,
    /// object_size, `None` for `-`.
    pub object_size: Option<u64>,
    /// total_time in ms, `None` for `-`.
    pub total_time: Option<u64>,
    /// turn_around_time in ms, `None` for `-`.
    pub turn_around_time: Option<u64>,
    /// The referer/user agent split was ambiguous (`" "` seen more than once); the parser
    /// took the last one, since referers carry raw attacker text far more often.
    pub ambiguous_user_agent: bool,
}

const DASH: &[u8] = b"-";

impl<'a> Record<'a> {
    /// A record of a line with every field `-` (to parse into, see [`Parser::parse_into`]).
    pub fn empty() -> Record<'a> {
        Record {
            head: [DASH; 17],
            trailing: &[],
            time: 0,
            remote_ip: None,
            http_status: None,
            bytes_sent: None,
            object_size: None,
            total_time: None,
            turn_around_time: None,
            ambiguous_user_agent: false,
        }
    }

    /// The raw field `i` (0-based, see [`FIELD_NAMES`]), `None` when it is `-` or missing.
    pub fn field(&self, i: usize) -> Option<&'a [u8]> {
        let v = if i < 17 {
            self.head[i]
        } else {
            self.trailing_fields().nth(i - 17).unwrap_or(DASH)
        };
        if v == DASH {
            None
        } else {
            Some(v)
        }
    }

    /// Fields 18 and later, including unknown extra ones.
    pub fn trailing_fields(&self) -> impl Iterator<Item = &'a [u8]> {
        self.trailing
            .split(|&c| c == b' ')
            .filter(|s| !s.is_empty())
    }

    /// The operation, e.g. `REST.GET.OBJECT`.
    pub fn operation(&self) -> &'a [u8] {
        self.head[f::OPERATION]
    }

    /// The raw (URL-encoded) key, `None` for `-`.
    pub fn key(&self) -> Option<&'a [u8]> {
        self.field(f::KEY)
    }

    /// The user agent, `None` for `-` (a quoted `""` is an empty user agent).
    pub fn user_agent(&self) -> Option<&'a [u8]> {
        self.field(f::USER_AGENT)
    }

    /// The requester (IAM ARN, canonical user ID, `svc:...`, `AmazonS3`), `None` for `-`.
    pub fn requester(&self) -> Option<&'a [u8]> {
        self.field(f::REQUESTER)
    }
}

/// A line parser; it owns the small cache of the last timestamp parsed.
#[derive(Default, Clone)]
pub struct Parser {
    times: TimeCache,
}

#[inline(always)]
fn skip_spaces(line: &[u8], mut p: usize) -> usize {
    while p < line.len() && line[p] == b' ' {
        p += 1;
    }
    p
}

/// Next space-free token starting at `p` (after spaces); returns (token, end).
#[inline(always)]
fn token(line: &[u8], p: usize) -> Option<(&[u8], usize)> {
    let p = skip_spaces(line, p);
    if p >= line.len() {
        return None;
    }
    let end = find_byte(line, p, b' ');
    Some((&line[p..end], end))
}

#[inline(always)]
fn number(t: &[u8]) -> Result<Option<u64>, ()> {
    if t == DASH {
        return Ok(None);
    }
    if t.is_empty() || t.len() > 19 {
        return Err(());
    }
    let mut v = 0u64;
    for &c in t {
        if !c.is_ascii_digit() {
            return Err(());
        }
        v = v * 10 + (c - b'0') as u64;
    }
    Ok(Some(v))
}

enum TailMatch {
    /// Matched; the referer starts after this position.
    Yes(usize),
    /// Everything matched until the line ran out, after this many tokens.
    Partial(usize),
    No,
}

/// Matches ` STATUS ERROR BYTES SIZE TOTAL TURNAROUND ` starting at `p`, writing the six
/// fields and their values into `rec` as they match (after a failed match, what was
/// written is meaningless).
#[inline(always)]
fn match_tail<'a>(line: &'a [u8], p: usize, rec: &mut Record<'a>) -> TailMatch {
    if p >= line.len() {
        return TailMatch::Partial(0);
    }
    if line[p] != b' ' {
        return TailMatch::No;
    }
    let mut q = p;
    for i in 0..6 {
        let Some((t, end)) = token(line, q) else {
            return TailMatch::Partial(i);
        };
        let ok = match i {
            0 => match t {
                [a, b, c] if [a, b, c].iter().all(|d| d.is_ascii_digit()) => {
                    rec.http_status =
                        Some((a - b'0') as u16 * 100 + (b - b'0') as u16 * 10 + (c - b'0') as u16);
                    true
                }
                _ => {
                    rec.http_status = None;
                    t == DASH
                }
            },
            1 => !t.contains(&b'"'),
            _ => match number(t) {
                Ok(v) => {
                    *match i {
                        2 => &mut rec.bytes_sent,
                        3 => &mut rec.object_size,
                        4 => &mut rec.total_time,
                        _ => &mut rec.turn_around_time,
                    } = v;
                    true
                }
                Err(()) => false,
            },
        };
        if !ok {
            return TailMatch::No;
        }
        rec.head[f::HTTP_STATUS + i] = t;
        q = end;
    }
    // The turn_around_time must be followed by a space and the referer.
    if q >= line.len() || skip_spaces(line, q) >= line.len() {
        return TailMatch::Partial(6);
    }
    TailMatch::Yes(q)
}

impl Parser {
    /// A parser with an empty timestamp cache.
    pub fn new() -> Parser {
        Parser::default()
    }

    /// Parses one line (without its `\n`; a final `\r` is ignored). Blank lines are the
    /// caller's business (see [`is_blank`]).
    #[inline]
    pub fn parse<'a>(&mut self, line: &'a [u8]) -> Result<Record<'a>, Reject> {
        let mut rec = Record::empty();
        self.parse_into(line, &mut rec).map(|()| rec)
    }

    /// [`Parser::parse`] into a record the caller holds (a record is a few hundred bytes,
    /// and returning it by value costs a copy per line). On success every field of `rec`
    /// is set; on failure its contents are meaningless.
    #[inline(always)]
    pub fn parse_into<'a>(&mut self, line: &'a [u8], rec: &mut Record<'a>) -> Result<(), Reject> {
        // Every one of the 17 head fields is written below before `Ok`.
        let line = line.strip_suffix(b"\r").unwrap_or(line);

        // Before the `[time]` is found, nothing says this was ever a log line.
        let (owner, p) = token(line, 0).ok_or(Reject::NotALogLine)?;
        if line.first() == Some(&b'[') && line.get(27) == Some(&b']') {
            // The leading fields were cut off: the line starts at the time.
            return Err(Reject::Truncated);
        }
        let (bucket, p) = token(line, p).ok_or(Reject::NotALogLine)?;
        rec.head[f::BUCKET_OWNER] = owner;
        rec.head[f::BUCKET] = bucket;

        let p = skip_spaces(line, p);
        if p >= line.len() || line[p] != b'[' {
            return Err(Reject::NotALogLine);
        }
        // `[DD/Mon/YYYY:HH:MM:SS +ZZZZ]` is 28 bytes; look there first.
        let close = if line.get(p + 27) == Some(&b']') {
            p + 27
        } else {
            memchr(b']', &line[p..]).ok_or(Reject::BadTime)? + p
        };
        let time_text = &line[p + 1..close];
        let time = self.times.parse(time_text).ok_or(Reject::BadTime)?;
        rec.head[f::TIME] = time_text;
        let mut p = close + 1;
        if p < line.len() && line[p] != b' ' {
            return Err(Reject::BadTime);
        }

        for slot in f::REMOTE_IP..=f::KEY {
            let (t, end) = token(line, p).ok_or(Reject::Truncated)?;
            rec.head[slot] = t;
            p = end;
        }
        let remote_ip = if rec.head[f::REMOTE_IP] == DASH {
            None
        } else {
            Some(parse_ip(rec.head[f::REMOTE_IP]).ok_or(Reject::BadRemoteIp)?)
        };

        // request_uri: a bare `-`, or quoted up to the first `"` followed by a valid tail.
        let p = skip_spaces(line, p);
        if p >= line.len() {
            return Err(Reject::Truncated);
        }
        let (uri, tail_end) = if line[p] == b'"' {
            let mut found = None;
            let mut partial = false;
            // The line was cut short if some candidate matched until the line ran out
            // (or the first candidate closes the URI at the very end of the line).
            // (A plain loop: an iterator's state kept on the stack cost more than the search.)
            let mut from = p + 1;
            while let Some(i) = memchr(b'"', &line[from..]) {
                let q = from + i;
                match match_tail(line, q + 1, rec) {
                    TailMatch::Yes(end) => {
                        found = Some((&line[p + 1..q], end));
                        break;
                    }
                    TailMatch::Partial(tokens) => partial |= tokens > 0 || from == p + 1,
                    TailMatch::No => {}
                }
                from = q + 1;
            }
            match found {
                // A quoted `"-"` reads as absent through `Record::field`, like a bare `-`.
                Some(found) => found,
                None if partial || memchr(b'"', &line[p + 1..]).is_none() => {
                    return Err(Reject::Truncated)
                }
                None => return Err(Reject::BadRequestUri),
            }
        } else if line[p] == b'-' && (p + 1 == line.len() || line[p + 1] == b' ') {
            match match_tail(line, p + 1, rec) {
                TailMatch::Yes(end) => (DASH, end),
                TailMatch::Partial(_) => return Err(Reject::Truncated),
                TailMatch::No => return Err(Reject::BadRequestUri),
            }
        } else {
            return Err(Reject::BadRequestUri);
        };
        rec.head[f::REQUEST_URI] = uri;

        // referer and user_agent.
        let r = skip_spaces(line, tail_end);
        let rest = &line[r..];
        let mut ambiguous = false;
        let (referer, user_agent, after) = match rest.first() {
            Some(b'"') => {
                let last = memrchr(b'"', rest)
                    .filter(|&i| i > 0)
                    .ok_or(Reject::BadUserAgent)?;
                let inner = &rest[1..last];
                // Every `" "` inside is a candidate split: take the last, and note whether
                // there was more than one.
                let mut chosen = None;
                let mut i = find_byte(inner, 0, b'"');
                while i < inner.len() {
                    if inner.get(i + 1..i + 3) == Some(&b" \""[..]) {
                        ambiguous = chosen.is_some();
                        chosen = Some(i);
                    }
                    i = find_byte(inner, i + 1, b'"');
                }
                match chosen {
                    Some(i) => (&inner[..i], &inner[i + 3..], last + 1),
                    None => {
                        // A quoted referer and a bare `-` user agent (copies, batch deletes).
                        let after = &rest[last + 1..];
                        let (t, _) = token(after, 0).ok_or(Reject::Truncated)?;
                        if t != DASH || after.first() != Some(&b' ') {
                            return Err(Reject::BadUserAgent);
                        }
                        let dash_at = skip_spaces(after, 0);
                        (inner, DASH, last + 1 + dash_at + 1)
                    }
                }
            }
            Some(b'-') if rest.get(1).is_none_or(|&c| c == b' ') => {
                let u = skip_spaces(rest, 1);
                match rest.get(u) {
                    None => return Err(Reject::Truncated),
                    Some(b'"') => {
                        let last = memrchr(b'"', rest)
                            .filter(|&i| i > u)
                            .ok_or(Reject::BadUserAgent)?;
                        (DASH, &rest[u + 1..last], last + 1)
                    }
                    Some(b'-') if rest.get(u + 1).is_none_or(|&c| c == b' ') => (DASH, DASH, u + 1),
                    Some(_) => return Err(Reject::BadUserAgent),
                }
            }
            None => return Err(Reject::Truncated),
            Some(_) => return Err(Reject::BadUserAgent),
        };
        if after < rest.len() && rest[after] != b' ' {
            return Err(Reject::BadUserAgent);
        }
        rec.head[f::REFERER] = referer;
        rec.head[f::USER_AGENT] = user_agent;

        rec.trailing = &rest[after..];
        rec.time = time;
        rec.remote_ip = remote_ip;
        rec.ambiguous_user_agent = ambiguous;
        Ok(())
    }
}

/// A blank line: empty or only spaces, tabs and a `\r`.
#[inline]
pub fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|&c| c == b' ' || c == b'\t' || c == b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    const AWS: &[u8] = br#"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /awsexamplebucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV2 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.1"#;

    #[test]
    fn aws_doc_line() {
        let mut p = Parser::new();
        let r = p.parse(AWS).unwrap();
        assert_eq!(r.field(f::BUCKET), Some(&b"awsexamplebucket1"[..]));
        assert_eq!(r.time, 1_549_411_238);
        assert_eq!(r.http_status, Some(200));
        assert_eq!(r.bytes_sent, Some(113));
        assert_eq!(r.object_size, None);
        assert_eq!(r.key(), None);
        assert_eq!(r.field(f::REFERER), None);
        assert_eq!(r.user_agent(), Some(&b"S3Console/0.4"[..]));
        assert_eq!(r.field(23), Some(&b"TLSV1.1"[..]));
        assert_eq!(r.field(24), None);
        assert_eq!(r.field(19), Some(&b"SigV2"[..]));
    }

    #[test]
    fn quotes_inside_fields() {
        let mut p = Parser::new();
        let line = br#"o b [13/Nov/2024:18:24:19 +0000] 192.0.2.0 - ID REST.GET.OBJECT k "GET /k?x=attachment;%20filename="a.json"&y=1 HTTP/1.1" 200 - 5 9 38 35 "-" ""Mozilla/5.0 (X)" - host SigV4"#;
        let r = p.parse(line).unwrap();
        assert_eq!(
            r.field(f::REQUEST_URI).unwrap(),
            br#"GET /k?x=attachment;%20filename="a.json"&y=1 HTTP/1.1"#
        );
        assert_eq!(r.user_agent().unwrap(), br#""Mozilla/5.0 (X)"#);
        assert_eq!(r.field(f::REFERER), None);
        assert_eq!(r.field(18), Some(&b"host"[..]));
    }

    #[test]
    fn bare_dashes_for_quoted_fields() {
        let mut p = Parser::new();
        let r = p
            .parse(b"o b [06/Feb/2019:00:00:38 +0000] - svc:s3.amazonaws.com ID BATCH.DELETE.OBJECT k - 204 - - 10 - - - - - x")
            .unwrap();
        assert_eq!(r.field(f::REQUEST_URI), None);
        assert_eq!(r.user_agent(), None);
        assert_eq!(r.remote_ip, None);
        assert_eq!(r.field(17), None);
        assert_eq!(r.field(18), Some(&b"x"[..]));
        let r = p
            .parse(br#"o b [06/Feb/2019:00:00:38 +0000] 1.2.3.4 r ID REST.COPY.OBJECT_GET k - 200 - - 10 - - "https://x/" - v"#)
            .unwrap();
        assert_eq!(r.field(f::REFERER), Some(&b"https://x/"[..]));
        assert_eq!(r.user_agent(), None);
        assert_eq!(r.field(17), Some(&b"v"[..]));
    }

    #[test]
    fn rejects_with_reasons() {
        let mut p = Parser::new();
        let cut = &AWS[..AWS.len() - 300];
        assert_eq!(p.parse(cut).unwrap_err(), Reject::Truncated);
        assert_eq!(p.parse(b"a,b,c").unwrap_err(), Reject::NotALogLine);
        assert_eq!(p.parse(b"{").unwrap_err(), Reject::NotALogLine);
        assert_eq!(
            p.parse(b"date,remote_ip,operation status x y").unwrap_err(),
            Reject::NotALogLine
        );
        assert_eq!(
            p.parse(br#"o b [06/Feb/2019:00:00:38 +0000] 1.2.3.4 r ID REST.GET.OBJECT k "GET / HTTP/1.1" 2000 - 1 1 1 1 "-" "ua""#)
                .unwrap_err(),
            Reject::BadRequestUri
        );
        assert_eq!(
            p.parse(br#"o b [06/Feb/2019:00:00:38 +0000] 1.2.3.x r ID REST.GET.OBJECT k "GET / HTTP/1.1" 200 - 1 1 1 1 "-" "ua""#)
                .unwrap_err(),
            Reject::BadRemoteIp
        );
        assert_eq!(
            p.parse(br#"o b [06/Feb/2019:00:00:38 +0000 1.2.3.4 r ID REST.GET.OBJECT k "GET / HTTP/1.1" 200 - 1 1 1 1 "-" "ua""#)
                .unwrap_err(),
            Reject::BadTime
        );
        assert_eq!(
            p.parse(br#"o b [06/Feb/2019:00:00:38 +0000] 1.2.3.4 r ID REST.GET.OBJECT k "GET / HTTP/1.1" 200 - 1 1 1 1 "-" ua"#)
                .unwrap_err(),
            Reject::BadUserAgent
        );
    }
}
