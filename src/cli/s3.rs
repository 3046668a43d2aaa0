//! `analyze s3://BUCKET/PREFIX`: the log objects under a prefix, listed (ListObjectsV2)
//! and read (GetObject) straight from S3, each streamed through a session as a local
//! file is, named by its key (so a snapshot skips the objects it counted, and the outputs
//! equal those of the same objects copied into a folder).
//!
//! Requests are signed with AWS Signature V4 by `rusty-s3` (sans-IO: it makes presigned
//! URLs and parses the listing) and sent by `ureq`. Credentials, in order: the
//! environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), then
//! `~/.aws/credentials` (`--profile`, else `AWS_PROFILE`, else `default`), then the
//! machine's role (a container's, an EC2 instance's: [`machine_role`]); none: unsigned
//! requests. The region: `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`,
//! `~/.aws/config`, else `us-east-1`; a bucket in another region is followed (S3 names it
//! in its answer). `--endpoint-url` for S3-compatible stores and tests (path-style URLs).
//! Throttling (503, 429) and server errors (500, 502, 504) are retried with exponential
//! backoff; other errors are said in words.

use s3logdrop::pool::{Input, Source};
use s3logdrop::s3::{bucket, location, refusal, retryable, Location};
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// How to reach S3 (the flags).
#[derive(Clone, Debug, Default)]
pub struct S3Args {
    /// An S3-compatible endpoint (`http://127.0.0.1:9000`).
    pub endpoint_url: Option<String>,
    /// The bucket's region.
    pub region: Option<String>,
    /// The profile of `~/.aws/credentials`.
    pub profile: Option<String>,
}

/// Tries of a throttled or failed request.
const TRIES: u32 = 6;

/// One `[section]` of an INI file (`~/.aws/credentials`, `~/.aws/config`) as pairs.
fn ini_section(text: &str, section: &str) -> Vec<(String, String)> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') && line.ends_with(']') {
            inside = line[1..line.len() - 1].trim() == section;
        } else if inside {
            if let Some((k, v)) = line.split_once('=') {
                out.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
    }
    out
}

fn aws_file(name: &str, env: &str) -> Option<String> {
    let path = std::env::var_os(env)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".aws").join(name)))?;
    std::fs::read_to_string(path).ok()
}

fn credentials(profile: Option<&str>) -> Result<Option<rusty_s3::Credentials>, String> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if profile.is_none() {
        if let (Some(key), Some(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY"))
        {
            return Ok(Some(match var("AWS_SESSION_TOKEN") {
                Some(t) => rusty_s3::Credentials::new_with_token(key, secret, t),
                None => rusty_s3::Credentials::new(key, secret),
            }));
        }
    }
    let name = profile
        .map(str::to_string)
        .or_else(|| var("AWS_PROFILE"))
        .unwrap_or_else(|| "default".into());
    let text = aws_file("credentials", "AWS_SHARED_CREDENTIALS_FILE").unwrap_or_default();
    let pairs = ini_section(&text, &name);
    let get = |k: &str| pairs.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
    match (get("aws_access_key_id"), get("aws_secret_access_key")) {
        (Some(key), Some(secret)) => Ok(Some(match get("aws_session_token") {
            Some(t) => rusty_s3::Credentials::new_with_token(key, secret, t),
            None => rusty_s3::Credentials::new(key, secret),
        })),
        _ if profile.is_some() => Err(format!(
            "the profile {name} has no aws_access_key_id and aws_secret_access_key in ~/.aws/credentials"
        )),
        _ => Ok(machine_role()),
    }
}

/// The temporary credentials of the machine's role, as AWS's SDKs find them after the
/// environment and the files: a container's (ECS, AWS Batch, EKS Pod Identity:
/// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or `_FULL_URI`, with
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN`), else an EC2 instance's (IMDSv2 at
/// `AWS_EC2_METADATA_SERVICE_ENDPOINT`, default `http://169.254.169.254`, unless
/// `AWS_EC2_METADATA_DISABLED=true`). None when there is no role (a laptop: the metadata
/// address does not answer within a second), and the requests go unsigned. Read once per
/// run: a run longer than the role's credentials live (hours) is not refreshed.
fn machine_role() -> Option<rusty_s3::Credentials> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(1)))
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    let from_json = |text: &str| -> Option<rusty_s3::Credentials> {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        let field = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let (key, secret) = (field("AccessKeyId")?, field("SecretAccessKey")?);
        Some(match field("Token") {
            Some(t) => rusty_s3::Credentials::new_with_token(key, secret, t),
            None => rusty_s3::Credentials::new(key, secret),
        })
    };
    let body = |r: ureq::http::Response<ureq::Body>| -> Option<String> {
        r.status()
            .is_success()
            .then(|| r.into_body().read_to_string().ok())
            .flatten()
    };
    let container = var("AWS_CONTAINER_CREDENTIALS_FULL_URI").or_else(|| {
        var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").map(|p| format!("http://169.254.170.2{p}"))
    });
    if let Some(url) = container {
        let mut req = agent.get(&url);
        if let Some(t) = var("AWS_CONTAINER_AUTHORIZATION_TOKEN") {
            req = req.header("Authorization", t);
        }
        return req.call().ok().and_then(body).and_then(|t| from_json(&t));
    }
    if var("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return None;
    }
    let base =
        var("AWS_EC2_METADATA_SERVICE_ENDPOINT").unwrap_or_else(|| "http://169.254.169.254".into());
    let base = base.trim_end_matches('/');
    let token = agent
        .put(format!("{base}/latest/api/token"))
        .header("X-aws-ec2-metadata-token-ttl-seconds", "21600")
        .send_empty()
        .ok()
        .and_then(body)?;
    let get = |path: &str| {
        agent
            .get(format!(
                "{base}/latest/meta-data/iam/security-credentials/{path}"
            ))
            .header("X-aws-ec2-metadata-token", token.trim())
            .call()
            .ok()
            .and_then(body)
    };
    let role = get("")?;
    let role = role.lines().next()?.trim().to_string();
    from_json(&get(&role)?)
}

fn region(args: &S3Args) -> String {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let Some(r) = args
        .region
        .clone()
        .or_else(|| var("AWS_REGION"))
        .or_else(|| var("AWS_DEFAULT_REGION"))
    {
        return r;
    }
    let profile = args
        .profile
        .clone()
        .or_else(|| var("AWS_PROFILE"))
        .unwrap_or_else(|| "default".into());
    let section = if profile == "default" {
        profile
    } else {
        format!("profile {profile}")
    };
    let text = aws_file("config", "AWS_CONFIG_FILE").unwrap_or_default();
    ini_section(&text, &section)
        .into_iter()
        .find(|(k, _)| k == "region")
        .map_or_else(|| "us-east-1".into(), |(_, v)| v)
}

/// A bucket to list and read, with its credentials; cloned for each object's read (the
/// agent's connections are shared).
#[derive(Clone)]
struct Client {
    bucket: rusty_s3::Bucket,
    credentials: Option<rusty_s3::Credentials>,
    agent: ureq::Agent,
    /// The endpoint as given (None: AWS's own, by region).
    endpoint: Option<String>,
    name: String,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(20)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// Pauses before try `n` (from 1): 0.2, 0.4, 0.8… seconds, at most 10.
fn backoff(n: u32) {
    std::thread::sleep(Duration::from_millis((200u64 << n.min(6)).min(10_000)));
}

impl Client {
    fn new(loc: &Location, args: &S3Args) -> Result<Client, String> {
        let credentials = credentials(args.profile.as_deref())?;
        let region = region(args);
        Ok(Client {
            bucket: bucket(args.endpoint_url.as_deref(), &loc.bucket, &region)?,
            credentials,
            agent: agent(),
            endpoint: args.endpoint_url.clone(),
            name: loc.bucket.clone(),
        })
    }

    /// GETs a signed URL made by `url`, trying again on throttling and server errors
    /// (and once in the bucket's own region when S3 names another).
    fn get(
        &mut self,
        url: &dyn Fn(&rusty_s3::Bucket, Option<&rusty_s3::Credentials>) -> Url,
        what: &str,
    ) -> Result<ureq::http::Response<ureq::Body>, String> {
        self.get_from(url, what, 0)
    }

    /// [`Client::get`] from byte `from` on (`Range: bytes=from-`, not signed: a presigned
    /// URL signs the host only).
    fn get_from(
        &mut self,
        url: &dyn Fn(&rusty_s3::Bucket, Option<&rusty_s3::Credentials>) -> Url,
        what: &str,
        from: u64,
    ) -> Result<ureq::http::Response<ureq::Body>, String> {
        let mut moved = false;
        let mut tries = 0;
        loop {
            tries += 1;
            let u = url(&self.bucket, self.credentials.as_ref());
            let mut req = self.agent.get(u.as_str());
            if from > 0 {
                req = req.header("Range", format!("bytes={from}-"));
            }
            let resp = match req.call() {
                Ok(r) => r,
                Err(e) if tries < TRIES => {
                    let _ = e;
                    backoff(tries);
                    continue;
                }
                Err(e) => return Err(format!("{what}: could not reach S3 ({e})")),
            };
            let status = resp.status().as_u16();
            if (200..300).contains(&status) {
                return Ok(resp);
            }
            let header = resp
                .headers()
                .get("x-amz-bucket-region")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .filter(|r| r != self.bucket.region());
            let body = resp.into_body().read_to_string().unwrap_or_default();
            // S3 names the bucket's region in a header, or in the refusal's <Region>.
            let other_region =
                header.or_else(|| s3logdrop::s3::other_region(&body, self.bucket.region()));
            if let (Some(r), false, None) = (&other_region, moved, &self.endpoint) {
                // The bucket is in another region: ask there.
                self.bucket = bucket(None, &self.name, r)?;
                moved = true;
                tries -= 1;
                continue;
            }
            if retryable(status) && tries < TRIES {
                backoff(tries);
                continue;
            }
            let msg = refusal(status, &body, what, &self.name);
            return Err(match other_region {
                Some(r) if !msg.contains(&r) => {
                    format!("{msg} (the bucket is in {r}: try --region {r})")
                }
                Some(r) => format!("{msg}: try --region {r}"),
                None => msg,
            });
        }
    }

    /// Every object under the prefix: (key, size), in key order.
    fn list(&mut self, prefix: &str) -> Result<Vec<(String, u64)>, String> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let what = format!("the listing of s3://{}/{prefix}", self.name);
            let t = token.clone();
            let p = prefix.to_string();
            let resp = self.get(
                &|b, c| s3logdrop::s3::list_url(b, c, &p, t.as_deref()),
                &what,
            )?;
            let text = resp
                .into_body()
                .read_to_string()
                .map_err(|e| format!("{what}: {e}"))?;
            let (objects, next) = s3logdrop::s3::parse_listing(&text, &what)?;
            out.extend(objects);
            match next {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        out.sort();
        Ok(out)
    }
}

/// GETs in flight ahead of the analysis threads: S3 delivers logs as many small objects,
/// so the time goes in waiting for answers, not in reading them (16, as many as the AWS
/// CLI's default `max_concurrent_requests`, was the first guess; not tuned).
const IN_FLIGHT: usize = 16;
/// How far ahead of the objects opened so far they are fetched.
const AHEAD: usize = 64;
/// Objects larger than this are not fetched ahead (their reader streams them).
const AHEAD_MAX_BYTES: u64 = 4 << 20;

/// An object fetched ahead, or being fetched.
enum Slot {
    Fetching,
    Ready(Result<Vec<u8>, String>),
    /// Its reader fetches it itself.
    Taken,
}

/// The objects fetched ahead, by index in the listing.
struct Ahead {
    state: std::sync::Mutex<AheadState>,
    ready: std::sync::Condvar,
}

struct AheadState {
    slots: std::collections::HashMap<usize, Slot>,
    /// The objects that will be read (announced), by index in the listing, in order.
    plan: Vec<usize>,
    /// The next place in `plan` a fetcher considers.
    next: usize,
    /// Objects opened so far.
    opened: usize,
    /// The fetchers were started (at the first open, once every object is announced).
    started: bool,
}

impl Ahead {
    /// The fetchers' loop: the next object within the window, fetched whole.
    fn fetch_loop(self: Arc<Self>, client: Client, objects: Arc<Vec<(String, u64)>>) {
        loop {
            let i = {
                let mut st = self.state.lock().expect("no fetcher panics holding it");
                loop {
                    if st.next >= st.plan.len() {
                        return;
                    }
                    if st.next < st.opened + AHEAD {
                        break;
                    }
                    st = self.ready.wait(st).expect("no fetcher panics holding it");
                }
                let i = st.plan[st.next];
                st.next += 1;
                if st.slots.contains_key(&i) || objects[i].1 > AHEAD_MAX_BYTES {
                    continue;
                }
                st.slots.insert(i, Slot::Fetching);
                i
            };
            let got = fetch(&mut client.clone(), &objects[i].0, objects[i].1).and_then(|mut r| {
                let mut v = Vec::new();
                r.read_to_end(&mut v).map(|_| v).map_err(|e| e.to_string())
            });
            let mut st = self.state.lock().expect("no fetcher panics holding it");
            st.slots.insert(i, Slot::Ready(got));
            self.ready.notify_all();
        }
    }
}

/// A GET of one object, its body to read; a connection lost midway is picked up where
/// it stopped.
fn fetch(c: &mut Client, key: &str, size: u64) -> Result<Box<dyn Read + Send>, String> {
    let inner = fetch_from(c, key, 0)?;
    Ok(Box::new(Resuming {
        client: c.clone(),
        key: key.to_string(),
        inner,
        at: 0,
        size,
        tries: 0,
    }))
}

fn fetch_from(c: &mut Client, key: &str, from: u64) -> Result<Box<dyn Read + Send>, String> {
    let what = format!("s3://{}/{key}", c.name);
    let resp = c.get_from(&|b, cr| s3logdrop::s3::get_url(b, cr, key), &what, from)?;
    if from > 0 && resp.status().as_u16() != 206 {
        return Err(format!(
            "{what}: S3 did not resume the object at byte {from}"
        ));
    }
    Ok(Box::new(resp.into_body().into_reader()))
}

/// An object's body that, when the connection is lost (an error, or an end before the
/// listed size), GETs the rest from the byte reached (`Range: bytes=N-`), up to [`TRIES`]
/// times: the object is read whole or, when S3 stays unreachable, the error is a note on
/// it (and the run's snapshot does not count it).
struct Resuming {
    client: Client,
    key: String,
    inner: Box<dyn Read + Send>,
    at: u64,
    size: u64,
    tries: u32,
}

impl Read for Resuming {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let lost = match self.inner.read(buf) {
                Ok(0) if self.at < self.size => io::Error::other(format!(
                    "the connection ended after {} of {} bytes",
                    self.at, self.size
                )),
                Ok(n) => {
                    self.at += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => e,
            };
            if buf.is_empty() || self.tries + 1 >= TRIES {
                return Err(io::Error::other(format!(
                    "the connection to S3 was lost after {} of its {} bytes and could not be resumed ({lost})",
                    self.at, self.size
                )));
            }
            self.tries += 1;
            backoff(self.tries);
            if let Ok(r) = fetch_from(&mut self.client, &self.key, self.at) {
                self.inner = r;
            }
        }
    }
}

fn read_error(e: String) -> io::Error {
    if e.ends_with("was not found") || e == "the object was deleted after it was listed" {
        io::Error::other("the object was deleted after it was listed")
    } else {
        io::Error::other(e)
    }
}

/// One object, read when its turn comes (fetched ahead when small and announced).
struct Object {
    client: Client,
    ahead: Arc<Ahead>,
    listed: Arc<Vec<(String, u64)>>,
    index: usize,
    key: String,
    size: u64,
}

impl Source for Object {
    fn size(&self) -> u64 {
        self.size
    }

    fn announce(&self) {
        if let Ok(mut st) = self.ahead.state.lock() {
            st.plan.push(self.index);
        }
    }

    fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        let mut st = self
            .ahead
            .state
            .lock()
            .map_err(|_| io::Error::other("a thread failed"))?;
        if !st.started {
            st.started = true;
            for _ in 0..IN_FLIGHT.min(st.plan.len()) {
                let (a, c, l) = (self.ahead.clone(), self.client.clone(), self.listed.clone());
                std::thread::spawn(move || a.fetch_loop(c, l));
            }
        }
        st.opened += 1;
        self.ahead.ready.notify_all();
        loop {
            match st.slots.remove(&self.index) {
                Some(Slot::Ready(got)) => {
                    return got
                        .map(|v| Box::new(io::Cursor::new(v)) as Box<dyn Read + Send>)
                        .map_err(read_error)
                }
                Some(Slot::Fetching) => {
                    st.slots.insert(self.index, Slot::Fetching);
                    st = self
                        .ahead
                        .ready
                        .wait(st)
                        .map_err(|_| io::Error::other("a thread failed"))?;
                }
                Some(Slot::Taken) | None => {
                    st.slots.insert(self.index, Slot::Taken);
                    drop(st);
                    return fetch(&mut self.client.clone(), &self.key, self.size)
                        .map_err(read_error);
                }
            }
        }
    }
}

/// The inputs of `s3://BUCKET/PREFIX`: every object under the prefix, named by its key,
/// in key order, with up to [`IN_FLIGHT`] of them fetched ahead of the analysis. The
/// error says why the bucket could not be listed.
pub fn inputs(url: &str, args: &S3Args) -> Result<Vec<Input>, String> {
    let loc =
        location(url).ok_or_else(|| format!("{url}: not an S3 URL like s3://bucket/prefix"))?;
    let mut client = Client::new(&loc, args)?;
    let objects = client.list(&loc.prefix)?;
    if objects.is_empty() {
        return Err(format!("there is no object under {url}"));
    }
    let ahead = Arc::new(Ahead {
        state: std::sync::Mutex::new(AheadState {
            slots: Default::default(),
            plan: Vec::new(),
            next: 0,
            opened: 0,
            started: false,
        }),
        ready: std::sync::Condvar::new(),
    });
    let listed = Arc::new(objects.clone());
    Ok(objects
        .into_iter()
        .enumerate()
        .map(|(index, (key, size))| {
            // Named by its key, as the same objects copied into a folder are named by
            // their path under it (`aws s3 sync s3://b/logs/ logs/` then `analyze logs/`).
            Input {
                path: PathBuf::from(format!("s3://{}/{key}", loc.bucket)),
                name: key.clone(),
                source: Some(Arc::new(Object {
                    client: client.clone(),
                    ahead: ahead.clone(),
                    listed: listed.clone(),
                    index,
                    key,
                    size,
                })),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_sections() {
        let ini = "[default]\naws_access_key_id = A\n[lab]\naws_access_key_id=B\naws_secret_access_key = C\n";
        assert_eq!(
            ini_section(ini, "lab"),
            vec![
                ("aws_access_key_id".to_string(), "B".to_string()),
                ("aws_secret_access_key".to_string(), "C".to_string())
            ]
        );
    }
}
