//! Reading logs straight from S3, the part the CLI and the page share: where a bucket is,
//! the presigned URLs of a listing (ListObjectsV2) and of an object (GetObject), the
//! listing read back, S3's refusals in words a person can act on, and the CORS rule and
//! IAM policy a person pastes. No I/O here: `rusty-s3` signs (AWS Signature V4) and
//! parses; the CLI sends with `ureq` (`cli::s3`), the page with `fetch` (`www/js/bucket.js`
//! lists, the workers read).

use std::time::Duration;
use url::Url;

pub use rusty_s3::{Bucket, Credentials};

/// How long a presigned URL is good for.
pub const URL_LIFETIME: Duration = Duration::from_secs(3600);

/// A bucket and the prefix under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The bucket's name.
    pub bucket: String,
    /// The key prefix (may be empty).
    pub prefix: String,
}

/// `s3://BUCKET/PREFIX` read, or None for a path that is not an S3 URL.
pub fn location(s: &str) -> Option<Location> {
    let rest = s.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then(|| Location {
        bucket: bucket.to_string(),
        prefix: prefix.to_string(),
    })
}

/// The bucket `name` in `region`, at `endpoint` (an S3-compatible store: path-style URLs)
/// or at AWS (`https://NAME.s3.REGION.amazonaws.com`, or path-style for a name with dots,
/// which AWS's certificate does not cover as a host name).
pub fn bucket(endpoint: Option<&str>, name: &str, region: &str) -> Result<Bucket, String> {
    if name.is_empty() {
        return Err("the bucket's name is missing".into());
    }
    if region.is_empty()
        || !region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(format!(
            "{region:?} is not an AWS region (like us-east-1 or eu-west-2)"
        ));
    }
    let (url, style) = match endpoint.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => (
            e.trim_end_matches('/').to_string(),
            rusty_s3::UrlStyle::Path,
        ),
        None if name.contains('.') => (
            format!("https://s3.{region}.amazonaws.com"),
            rusty_s3::UrlStyle::Path,
        ),
        None => (
            format!("https://s3.{region}.amazonaws.com"),
            rusty_s3::UrlStyle::VirtualHost,
        ),
    };
    let url: Url = url
        .parse()
        .map_err(|e| format!("the endpoint {url} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("the endpoint {url} is not an http(s) URL"));
    }
    Bucket::new(url, style, name.to_string(), region.to_string())
        .map_err(|e| format!("the bucket {name}: {e}"))
}

/// Credentials from a key, a secret and an optional session token.
pub fn credentials(key: &str, secret: &str, token: Option<&str>) -> Credentials {
    match token.filter(|t| !t.is_empty()) {
        Some(t) => Credentials::new_with_token(key.trim(), secret.trim(), t.trim()),
        None => Credentials::new(key.trim(), secret.trim()),
    }
}

/// The signed URL of one page of the listing under `prefix` (after `token`).
pub fn list_url(
    bucket: &Bucket,
    credentials: Option<&Credentials>,
    prefix: &str,
    token: Option<&str>,
) -> Url {
    let mut a = bucket.list_objects_v2(credentials);
    if !prefix.is_empty() {
        a.with_prefix(prefix.to_string());
    }
    if let Some(t) = token {
        a.with_continuation_token(t.to_string());
    }
    rusty_s3::S3Action::sign(&a, URL_LIFETIME)
}

/// The signed URL of a GET of the object `key`.
pub fn get_url(bucket: &Bucket, credentials: Option<&Credentials>, key: &str) -> Url {
    rusty_s3::S3Action::sign(&bucket.get_object(credentials, key), URL_LIFETIME)
}

/// One page of a listing: the objects (key, size) that are not folder markers, and the
/// token of the next page, if any.
pub type ListingPage = (Vec<(String, u64)>, Option<String>);

/// One page of a listing, read from S3's answer.
pub fn parse_listing(text: &str, what: &str) -> Result<ListingPage, String> {
    let page = rusty_s3::actions::ListObjectsV2::parse_response(text)
        .map_err(|e| format!("{what}: S3's answer was not understood ({e})"))?;
    let objects = page
        .contents
        .into_iter()
        .filter(|o| !o.key.ends_with('/'))
        .map(|o| (o.key, o.size.unwrap_or(0)))
        .collect();
    Ok((objects, page.next_continuation_token))
}

/// The text of the first `<tag>` of an XML answer.
fn element<'a>(body: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    body.split(open.as_str())
        .nth(1)
        .and_then(|r| r.split(close.as_str()).next())
}

/// The region S3 names in a refusal for a bucket asked in the wrong region (its
/// `<Region>`), when it is not `asked`.
pub fn other_region(body: &str, asked: &str) -> Option<String> {
    element(body, "Region")
        .map(str::trim)
        .filter(|r| !r.is_empty() && *r != asked)
        .map(str::to_string)
}

/// What S3 said when it refused, in words a person can act on. `what` names the request
/// (`the listing of s3://b/logs/`, `s3://b/logs/x`).
pub fn refusal(status: u16, body: &str, what: &str, bucket: &str) -> String {
    let code = element(body, "Code").unwrap_or("");
    match (status, code) {
        (_, "InvalidAccessKeyId") => "S3 does not know this access key ID: check the key (and that it is not deactivated)".into(),
        (_, "SignatureDoesNotMatch") => "S3 refused the signature: the secret access key does not match the access key ID".into(),
        (_, "ExpiredToken") | (_, "InvalidToken") | (_, "TokenRefreshRequired") => "the session token has expired or is not valid: get new temporary credentials".into(),
        (_, "RequestTimeTooSkewed") => "S3 refused the request because this computer's clock is wrong: set the date and time, then try again".into(),
        (_, "NoSuchBucket") => format!("there is no bucket called {bucket}"),
        (_, "NoSuchKey") => "the object was deleted after it was listed".into(),
        (_, "AuthorizationHeaderMalformed") | (301, _) | (_, "PermanentRedirect") => {
            match element(body, "Region") {
                Some(r) => format!("the bucket {bucket} is in the region {r}, not the one given"),
                None => format!("the bucket {bucket} is in another region: give its region"),
            }
        }
        (_, "AccessDenied") | (403, _) => format!(
            "access denied to {what}: the key needs s3:ListBucket on the bucket and s3:GetObject on its log objects"
        ),
        (404, _) => format!("{what} was not found"),
        (429, _) | (503, _) | (_, "SlowDown") => format!("S3 asked to slow down and kept refusing {what}: try again later"),
        _ if code.is_empty() => format!("S3 answered {status} to {what}"),
        _ => format!("S3 answered {status} {code} to {what}"),
    }
}

/// True for answers worth trying again after a pause (throttling, server errors).
pub fn retryable(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// The bucket CORS configuration (the S3 console's JSON) that lets a page served from
/// `origin` list and read the bucket: GET and HEAD from that origin only. The page's
/// requests are presigned URLs (the signature in the query string), so they are simple
/// requests that need no allowed header (and no preflight); `x-amz-bucket-region` is
/// exposed so a bucket asked in the wrong region can be followed.
pub fn cors_rule(origin: &str) -> String {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Rule<'a> {
        allowed_origins: [&'a str; 1],
        allowed_methods: [&'a str; 2],
        expose_headers: [&'a str; 1],
        max_age_seconds: u32,
    }
    serde_json::to_string_pretty(&[Rule {
        allowed_origins: [origin],
        allowed_methods: ["GET", "HEAD"],
        expose_headers: ["x-amz-bucket-region"],
        max_age_seconds: 3000,
    }])
    .expect("JSON")
}

/// The read-only IAM policy for a key that lists `prefix` in `bucket` and reads its
/// objects, and nothing else.
pub fn iam_policy(bucket: &str, prefix: &str) -> String {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Statement {
        sid: &'static str,
        effect: &'static str,
        action: &'static str,
        resource: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        condition: Option<serde_json::Value>,
    }
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Policy {
        version: &'static str,
        statement: [Statement; 2],
    }
    let bucket = if bucket.is_empty() {
        "LOG-BUCKET"
    } else {
        bucket
    };
    let policy = Policy {
        version: "2012-10-17",
        statement: [
            Statement {
                sid: "ListTheLogs",
                effect: "Allow",
                action: "s3:ListBucket",
                resource: format!("arn:aws:s3:::{bucket}"),
                condition: (!prefix.is_empty()).then(
                    || serde_json::json!({ "StringLike": { "s3:prefix": [format!("{prefix}*")] } }),
                ),
            },
            Statement {
                sid: "ReadTheLogs",
                effect: "Allow",
                action: "s3:GetObject",
                resource: format!("arn:aws:s3:::{bucket}/{prefix}*"),
                condition: None,
            },
        ],
    };
    serde_json::to_string_pretty(&policy).expect("JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls() {
        assert_eq!(
            location("s3://logs-bucket/logs/2024/"),
            Some(Location {
                bucket: "logs-bucket".into(),
                prefix: "logs/2024/".into()
            })
        );
        assert_eq!(location("s3://b").unwrap().prefix, "");
        assert_eq!(location("s3:///x"), None);
        assert_eq!(location("/tmp/logs"), None);
    }

    #[test]
    fn buckets_and_signed_urls() {
        let b = bucket(None, "lab-logs", "eu-west-2").unwrap();
        let c = credentials("AKIAEXAMPLE", "secret", None);
        let u = list_url(&b, Some(&c), "logs/", None);
        assert_eq!(u.host_str(), Some("lab-logs.s3.eu-west-2.amazonaws.com"));
        let q: Vec<(String, String)> = u.query_pairs().into_owned().collect();
        assert!(q.iter().any(|(k, v)| k == "prefix" && v == "logs/"));
        assert!(q
            .iter()
            .any(|(k, v)| k == "X-Amz-Credential" && v.starts_with("AKIAEXAMPLE/")));
        assert!(q.iter().any(|(k, _)| k == "X-Amz-Signature"));
        // A name with dots: path style (AWS's certificate covers one label only).
        let b = bucket(None, "logs.lab.org", "us-east-1").unwrap();
        let u = get_url(&b, None, "logs/2024-01-01-00-00-00-ABC");
        assert_eq!(u.host_str(), Some("s3.us-east-1.amazonaws.com"));
        assert!(u.path().starts_with("/logs.lab.org/logs/"));
        // An S3-compatible store: path style at its address.
        let b = bucket(Some("http://127.0.0.1:9000/"), "b", "us-east-1").unwrap();
        assert_eq!(get_url(&b, None, "k").as_str(), "http://127.0.0.1:9000/b/k");
        assert!(bucket(None, "b", "eu west").is_err());
        assert!(bucket(Some("ftp://x"), "b", "us-east-1").is_err());
        assert!(bucket(None, "", "us-east-1").is_err());
    }

    #[test]
    fn listings_drop_folder_markers() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>logs/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated><NextContinuationToken>t2</NextContinuationToken>
<Contents><Key>logs/</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>"x"</ETag><Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>
<Contents><Key>logs/2024-01-01-00-00-00-A</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>"y"</ETag><Size>1234</Size><StorageClass>STANDARD</StorageClass></Contents>
</ListBucketResult>"#;
        let (objects, next) = parse_listing(xml, "x").unwrap();
        assert_eq!(
            objects,
            vec![("logs/2024-01-01-00-00-00-A".to_string(), 1234)]
        );
        assert_eq!(next.as_deref(), Some("t2"));
        assert!(parse_listing("<html>", "the listing")
            .unwrap_err()
            .starts_with("the listing"));
    }

    #[test]
    fn refusals_say_what_to_do() {
        let body = "<Error><Code>InvalidAccessKeyId</Code></Error>";
        assert!(refusal(403, body, "x", "b").contains("access key ID"));
        let body = "<Error><Code>NoSuchBucket</Code></Error>";
        assert_eq!(refusal(404, body, "x", "b"), "there is no bucket called b");
        assert!(refusal(403, "", "the listing", "b").contains("s3:ListBucket"));
        let body =
            "<Error><Code>AuthorizationHeaderMalformed</Code><Region>eu-west-1</Region></Error>";
        assert!(refusal(400, body, "x", "b").contains("eu-west-1"));
        assert_eq!(
            other_region(body, "us-east-1").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(other_region(body, "eu-west-1"), None);
        assert!(retryable(503) && !retryable(404));
    }

    #[test]
    fn the_cors_rule_and_the_policy_are_json_for_this_origin_and_bucket() {
        let rule: serde_json::Value =
            serde_json::from_str(&cors_rule("https://lab.github.io")).unwrap();
        assert_eq!(rule[0]["AllowedOrigins"][0], "https://lab.github.io");
        assert_eq!(
            rule[0]["AllowedMethods"],
            serde_json::json!(["GET", "HEAD"])
        );
        let p: serde_json::Value = serde_json::from_str(&iam_policy("lab-logs", "logs/")).unwrap();
        assert_eq!(p["Statement"][0]["Resource"], "arn:aws:s3:::lab-logs");
        assert_eq!(
            p["Statement"][0]["Condition"]["StringLike"]["s3:prefix"][0],
            "logs/*"
        );
        assert_eq!(
            p["Statement"][1]["Resource"],
            "arn:aws:s3:::lab-logs/logs/*"
        );
    }
}
