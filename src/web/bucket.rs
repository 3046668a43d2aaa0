//! What the page calls to read a log bucket (`www/js/bucket.js`): a [`LogBucket`] holds
//! the bucket and the keys in the page's wasm memory and makes the presigned URLs that
//! the page (the listing) and the workers (the objects) fetch; the workers never see the
//! keys, only a URL good for one object for an hour. The same signing and reading as the
//! CLI's (`crate::s3`).

use crate::s3;
use serde::Serialize;
use wasm_bindgen::prelude::*;

fn err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// A bucket, a prefix and the keys to read them with (none: unsigned requests, for a
/// bucket whose logs are public).
#[wasm_bindgen]
pub struct LogBucket {
    bucket: s3::Bucket,
    credentials: Option<s3::Credentials>,
    endpoint: Option<String>,
    name: String,
    prefix: String,
}

/// One page of a listing, for the page.
#[derive(Serialize)]
struct Listing {
    /// (key, size) of each object.
    objects: Vec<(String, f64)>,
    /// The token of the next page, if any.
    next: Option<String>,
}

#[wasm_bindgen]
impl LogBucket {
    /// The bucket `name` in `region` (at `endpoint`, an S3-compatible store, when not
    /// empty), read with `key`, `secret` and `token` (all empty: unsigned).
    #[wasm_bindgen(constructor)]
    pub fn new(
        name: &str,
        prefix: &str,
        region: &str,
        endpoint: &str,
        key: &str,
        secret: &str,
        token: &str,
    ) -> Result<LogBucket, JsError> {
        let name = name.trim();
        let endpoint = Some(endpoint.trim()).filter(|e| !e.is_empty());
        let bucket = s3::bucket(endpoint, name, region.trim()).map_err(err)?;
        let credentials = match (key.trim().is_empty(), secret.trim().is_empty()) {
            (true, true) => None,
            (false, false) => Some(s3::credentials(key, secret, Some(token))),
            (true, false) => return Err(err("the access key ID is missing")),
            (false, true) => return Err(err("the secret access key is missing")),
        };
        Ok(LogBucket {
            bucket,
            credentials,
            endpoint: endpoint.map(str::to_string),
            name: name.to_string(),
            prefix: prefix.trim().trim_start_matches('/').to_string(),
        })
    }

    /// The origin requests go to (`https://b.s3.eu-west-2.amazonaws.com`).
    pub fn origin(&self) -> String {
        self.bucket.base_url().origin().ascii_serialization()
    }

    /// The prefix listed.
    pub fn prefix(&self) -> String {
        self.prefix.clone()
    }

    /// The region asked.
    pub fn region(&self) -> String {
        self.bucket.region().to_string()
    }

    /// Asks in another region from now on (S3 named it in a refusal). False when the
    /// bucket is at a configured endpoint (which has no regions to follow).
    pub fn move_to(&mut self, region: &str) -> Result<bool, JsError> {
        if self.endpoint.is_some() {
            return Ok(false);
        }
        self.bucket = s3::bucket(None, &self.name, region).map_err(err)?;
        Ok(true)
    }

    /// The signed URL of the listing's page after `token` (empty: the first page).
    pub fn list_url(&self, token: &str) -> String {
        let token = Some(token).filter(|t| !t.is_empty());
        s3::list_url(&self.bucket, self.credentials.as_ref(), &self.prefix, token).into()
    }

    /// One page of the listing read: `{objects: [[key, size], ...], next}`.
    pub fn parse_listing(&self, text: &str) -> Result<JsValue, JsError> {
        let (objects, next) = s3::parse_listing(text, &self.what_listing()).map_err(err)?;
        let listing = Listing {
            objects: objects.into_iter().map(|(k, s)| (k, s as f64)).collect(),
            next,
        };
        serde_wasm_bindgen::to_value(&listing).map_err(err)
    }

    /// The signed URL of a GET of `key`.
    pub fn get_url(&self, key: &str) -> String {
        s3::get_url(&self.bucket, self.credentials.as_ref(), key).into()
    }

    /// S3's refusal of the listing (its status and body) in words.
    pub fn listing_refusal(&self, status: u16, body: &str) -> String {
        s3::refusal(status, body, &self.what_listing(), &self.name)
    }

    /// The region S3 names in a refusal, when it is not the one asked.
    pub fn other_region(&self, body: &str) -> Option<String> {
        s3::other_region(body, self.bucket.region())
    }

    fn what_listing(&self) -> String {
        format!("the listing of s3://{}/{}", self.name, self.prefix)
    }
}

/// True for an answer worth asking again after a pause (throttling, server errors): the
/// CLI's rule.
#[wasm_bindgen]
pub fn retryable(status: u16) -> bool {
    s3::retryable(status)
}

/// The bucket CORS configuration to paste in the S3 console for a page at `origin`.
#[wasm_bindgen]
pub fn cors_rule(origin: &str) -> String {
    s3::cors_rule(origin)
}

/// The read-only IAM policy for the logs under `prefix` in `bucket`.
#[wasm_bindgen]
pub fn iam_policy(bucket: &str, prefix: &str) -> String {
    s3::iam_policy(bucket, prefix.trim().trim_start_matches('/'))
}
