//! A deterministic generator of realistic S3 access logs (operation, status and user
//! agent mixes; IPv4 and IPv6; presigned URLs with quotes; nasty lines), for the tests
//! and the benchmarks. It knows the truth of what it wrote: lines, blanks, rejects and
//! the downloads that the default settings count.

use crate::time::{days_from_civil, UnixSeconds};
use std::io::Write;

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenConfig {
    /// Seed: the same seed writes the same bytes.
    pub seed: u64,
    /// First timestamp.
    pub start: UnixSeconds,
    /// Mean seconds between two lines.
    pub mean_gap: u32,
    /// Number of distinct client addresses.
    pub clients: u32,
    /// Number of distinct objects.
    pub objects: u32,
    /// Per mille of lines that are nasty (truncated, garbage, blank, bad time...).
    pub nasty_per_mille: u32,
    /// End lines with `\r\n` instead of `\n`.
    pub crlf: bool,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            seed: 1,
            start: days_from_civil(2024, 1, 1) * 86_400,
            mean_gap: 2,
            clients: 5_000,
            objects: 2_000,
            nasty_per_mille: 5,
            crlf: false,
        }
    }
}

/// What the generator knows it wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Truth {
    /// Lines written.
    pub lines: u64,
    /// Blank lines.
    pub blank: u64,
    /// Lines that must be rejected.
    pub rejected: u64,
    /// Downloads counted under the default settings.
    pub downloads: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// SplitMix64: small, fast, and the same on every platform.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() >> 32) * n) >> 32
    }
    /// True with probability `per_mille / 1000`.
    pub fn chance(&mut self, per_mille: u32) -> bool {
        self.below(1000) < per_mille as u64
    }
}

/// (user agent, is it a bot under the default rule)
const AGENTS: &[(&str, bool)] = &[
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", false),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15", false),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", false),
    ("aws-cli/2.15.10 Python/3.11.6 Linux/6.5.0-14-generic exe/x86_64.ubuntu.22 prompt/off command/s3.cp botocore/2.4.5", false),
    ("Boto3/1.34.14 md/Botocore#1.34.14 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.6 Botocore/1.34.14", false),
    ("curl/8.5.0", false),
    ("python-requests/2.31.0", false),
    ("Wget/1.21.4", false),
    ("git-annex/10.20231129", false),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", true),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", true),
    ("CCBot/2.0 (https://commoncrawl.org/faq/)", true),
    ("Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)", true),
    ("\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/67.0.3396.99 Safari/537.36", false),
    ("<img src=x onerror=alert(1)>", false),
    ("=HYPERLINK(\"http://example.com\",\"click\")", false),
    ("", false),
];

const EXTS: &[&str] = &[
    "csv",
    "nii.gz",
    "json",
    "tsv",
    "h5",
    "zarr/0/0/1",
    "parquet",
    "txt",
];

/// Writes log lines, one at a time, and keeps the [`Truth`].
pub struct Generator {
    cfg: GenConfig,
    rng: Rng,
    t: UnixSeconds,
    /// What has been written so far.
    pub truth: Truth,
    line: Vec<u8>,
}

fn date_text(t: UnixSeconds, out: &mut Vec<u8>) {
    const M: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, m, d) = crate::time::civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    let _ = write!(
        out,
        "[{d:02}/{}/{y}:{:02}:{:02}:{:02} +0000]",
        M[m as usize - 1],
        s / 3600,
        s / 60 % 60,
        s % 60
    );
}

impl Generator {
    /// A generator.
    pub fn new(cfg: GenConfig) -> Generator {
        Generator {
            rng: Rng::new(cfg.seed),
            t: cfg.start,
            cfg,
            truth: Truth::default(),
            line: Vec::with_capacity(1024),
        }
    }

    /// The timestamp of the next line.
    pub fn now(&self) -> UnixSeconds {
        self.t
    }

    fn ip(&mut self, client: u64, out: &mut Vec<u8>) {
        // A stable address per client; one in six is IPv6, some IPv6 spelled long-hand.
        let h = Rng::new(client.wrapping_mul(0x9E37_79B9) ^ self.cfg.seed).next_u64();
        if client % 6 == 5 {
            // Within the /32s of large access networks in the US, Germany, China, France,
            // Japan, Brazil and the United Kingdom, so that the countries look like a
            // real bucket's.
            const NETS: [(u16, u16); 7] = [
                (0x2600, 0x1700),
                (0x2003, 0x00e2),
                (0x240e, 0x03b0),
                (0x2a01, 0xcb00),
                (0x2400, 0x4050),
                (0x2804, 0x014c),
                (0x2a02, 0x0c7f),
            ];
            let (p, q) = NETS[((h >> 40) % NETS.len() as u64) as usize];
            let (a, b, c) = ((h >> 16) & 0xffff, (h >> 32) & 0xffff, h & 0xff);
            let _ = if client % 12 == 11 {
                write!(out, "{p:04x}:{q:04x}:{a:x}:{b:x}:0:0:0:{c:x}")
            } else {
                write!(out, "{p:x}:{q:x}:{a:x}:{b:x}::{c:x}")
            };
        } else {
            let _ = write!(
                out,
                "{}.{}.{}.{}",
                11 + (h & 0x7f),
                (h >> 8) & 0xff,
                (h >> 16) & 0xff,
                1 + ((h >> 24) % 254)
            );
        }
    }

    /// Appends one line (with its line end) to `out`.
    pub fn write_line(&mut self, out: &mut Vec<u8>) {
        let start = out.len();
        self.t += self.rng.below(2 * self.cfg.mean_gap as u64 + 1) as i64;
        self.truth.lines += 1;
        if self.cfg.nasty_per_mille > 0 && self.rng.chance(self.cfg.nasty_per_mille) {
            self.nasty(out);
        } else {
            let mut line = std::mem::take(&mut self.line);
            line.clear();
            self.normal(&mut line);
            out.extend_from_slice(&line);
            self.line = line;
        }
        out.extend_from_slice(if self.cfg.crlf { b"\r\n" } else { b"\n" });
        self.truth.bytes += (out.len() - start) as u64;
    }

    fn normal(&mut self, out: &mut Vec<u8>) {
        let r = &mut self.rng;
        let roll = r.below(100);
        let (op, internal) = match roll {
            0..=59 => ("REST.GET.OBJECT", false),
            60..=74 => ("REST.HEAD.OBJECT", false),
            75..=79 => ("WEBSITE.GET.OBJECT", false),
            80..=84 => ("REST.GET.BUCKET", false),
            85..=88 => ("REST.PUT.OBJECT", false),
            89..=90 => ("REST.COPY.OBJECT_GET", false),
            91..=92 => ("BATCH.DELETE.OBJECT", true),
            93..=94 => ("S3.EXPIRE.OBJECT", true),
            _ => ("REST.GET.ACL", false),
        };
        let status: Option<u16> = match op {
            "REST.GET.OBJECT" => Some(match r.below(100) {
                0..=79 => 200,
                80..=89 => 206,
                90..=94 => 304,
                95..=97 => 404,
                _ => 403,
            }),
            "BATCH.DELETE.OBJECT" => Some(204),
            "S3.EXPIRE.OBJECT" => None,
            _ => Some(200),
        };
        let client = r.below(self.cfg.clients as u64);
        let obj = (r.next_u64() % self.cfg.objects as u64) * ((r.next_u64() % 3) + 1)
            % self.cfg.objects as u64;
        let ext = EXTS[(obj % EXTS.len() as u64) as usize];
        let folder = if obj.is_multiple_of(4) {
            format!("zarr/{:08x}-{:04x}", obj * 2654435761 % 0xffff_ffff, obj)
        } else {
            format!("dataset{:03}/sub-{:02}", obj % 97, obj % 13)
        };
        let key = format!("{folder}/file_{obj}%20v{}.{ext}", obj % 5);
        let agent_i = (r.below(AGENTS.len() as u64 * 3) as usize) % AGENTS.len();
        let agent_i = if r.chance(600) { agent_i % 9 } else { agent_i };
        let (agent, is_bot) = AGENTS[agent_i];
        let size = 1_000 + (obj * 7919 % 50_000_000);
        let bytes_sent: Option<u64> = match status {
            Some(200) if op.contains("GET") => {
                if r.chance(15) {
                    None
                } else {
                    Some(size)
                }
            }
            Some(206) => Some(size / 4),
            Some(304) | Some(204) | None => None,
            _ => Some(243 + r.below(200)),
        };
        let object_size = match (op, status) {
            (
                "REST.GET.OBJECT"
                | "WEBSITE.GET.OBJECT"
                | "REST.HEAD.OBJECT"
                | "REST.COPY.OBJECT_GET",
                Some(200 | 206 | 304),
            ) => Some(size),
            _ => None,
        };
        let presigned = r.chance(50);
        let referer_kind = r.below(10);

        let _ = write!(
            out,
            "8787a3c41bf7ce0d54359d9348ad5b08e16bd5bb8ae5aa4e1508b435773a066e example-bucket "
        );
        date_text(self.t, out);
        out.push(b' ');
        let requester = if internal {
            out.push(b'-');
            if op == "BATCH.DELETE.OBJECT" {
                "svc:s3.amazonaws.com"
            } else {
                "AmazonS3"
            }
        } else {
            self.ip(client, out);
            if client.is_multiple_of(7) {
                "arn:aws:iam::123456789012:user/uploader"
            } else {
                "-"
            }
        };
        let r = &mut self.rng;
        let _ = write!(out, " {requester} {:016X} {op} {key} ", r.next_u64());
        if internal || op == "REST.COPY.OBJECT_GET" {
            out.push(b'-');
        } else if presigned {
            let _ = write!(out, "\"GET /{key}?response-content-disposition=attachment;%20filename=\"file_{obj}.{ext}\"&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-Signature={:016x} HTTP/1.1\"", r.next_u64());
        } else {
            let verb = if op.contains("HEAD") {
                "HEAD"
            } else if op.contains("PUT") {
                "PUT"
            } else {
                "GET"
            };
            let _ = write!(out, "\"{verb} /{key} HTTP/1.1\"");
        }
        let opt = |v: Option<u64>| v.map_or("-".to_string(), |n| n.to_string());
        let error = match status {
            Some(404) => "NoSuchKey",
            Some(403) => "AccessDenied",
            _ => "-",
        };
        let total = 5 + r.below(400);
        let _ = write!(
            out,
            " {} {error} {} {} {total} {} ",
            status.map_or("-".to_string(), |s| s.to_string()),
            opt(bytes_sent),
            opt(object_size),
            if r.chance(100) {
                "-".to_string()
            } else {
                (total - 3).to_string()
            }
        );
        if internal || op == "REST.COPY.OBJECT_GET" {
            out.extend_from_slice(b"- -");
        } else {
            match referer_kind {
                0..=6 => out.extend_from_slice(b"\"-\""),
                7 => {
                    out.extend_from_slice(b"\"https://example.org/data portal/?q=\"brain\" scans\"")
                }
                _ => out.extend_from_slice(b"\"https://example.org/datasets/\""),
            }
            let _ = write!(out, " \"{agent}\"");
        }
        let tls = if r.chance(900) { "TLSv1.3" } else { "TLSv1.2" };
        let _ = write!(out, " - {:016x}{:016x}= SigV4 TLS_AES_128_GCM_SHA256 {} example-bucket.s3.us-east-1.amazonaws.com {tls} - -",
            r.next_u64(), r.next_u64(), if presigned { "QueryString" } else { "AuthHeader" });
        if r.chance(100) {
            out.extend_from_slice(b" us-east-1");
        }

        let counted = op == "REST.GET.OBJECT"
            && status == Some(200)
            && bytes_sent.is_some()
            && object_size.is_some()
            && !internal
            && !is_bot;
        if counted {
            self.truth.downloads += 1;
        }
    }

    fn nasty(&mut self, out: &mut Vec<u8>) {
        match self.rng.below(6) {
            0 => {
                self.truth.blank += 1;
                out.extend_from_slice(if self.rng.chance(500) { b"" } else { b"   " });
            }
            1 => {
                // A line cut short in the middle of the request URI.
                let mut l = Vec::new();
                let before = self.truth.downloads;
                self.normal(&mut l);
                self.truth.downloads = before;
                let cut = l.iter().position(|&c| c == b'"').map_or(60, |q| q + 10);
                out.extend_from_slice(&l[..cut.min(l.len())]);
                self.truth.rejected += 1;
            }
            2 => {
                out.extend_from_slice(
                    b"date,remote_ip,operation,status,bytes,user_agent,object_size",
                );
                self.truth.rejected += 1;
            }
            3 => {
                let mut l = Vec::new();
                let before = self.truth.downloads;
                self.normal(&mut l);
                self.truth.downloads = before;
                // An impossible date.
                let at = l.iter().position(|&c| c == b'[').unwrap_or(0) + 1;
                l[at] = b'3';
                l[at + 1] = b'9';
                out.extend_from_slice(&l);
                self.truth.rejected += 1;
            }
            4 => {
                out.extend_from_slice(
                    b"\x1b[31m<script>alert(\"x\")</script> \xff\xfe not a log line",
                );
                self.truth.rejected += 1;
            }
            _ => {
                // The first two fields stripped (an intermediate file of some other tool).
                let mut l = Vec::new();
                let before = self.truth.downloads;
                self.normal(&mut l);
                self.truth.downloads = before;
                let at = l.iter().position(|&c| c == b'[').unwrap_or(0);
                out.extend_from_slice(&l[at..]);
                self.truth.rejected += 1;
            }
        }
    }

    /// Writes lines until at least `bytes` bytes have been appended.
    pub fn fill(&mut self, out: &mut Vec<u8>, bytes: usize) {
        let target = out.len() + bytes;
        while out.len() < target {
            self.write_line(out);
        }
    }
}

/// S3's delivery file name for a timestamp: `YYYY-MM-DD-HH-MM-SS-UNIQUESTRING`.
pub fn delivery_name(t: UnixSeconds, unique: u64) -> String {
    let (y, m, d) = crate::time::civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}-{:02}-{:02}-{:02}-{:016X}",
        s / 3600,
        s / 60 % 60,
        s % 60,
        unique
    )
}
