//! Which user agents are robots. The default is the lab's rule (`bot` or `crawl`,
//! case-insensitive) without its one known harm: `bot` inside `boto`, `boto3` and
//! `botocore` — the AWS SDKs inside aws-cli and boto3, the tools the lab's own docs use
//! to download — does not count.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The bot rule, a visible and changeable setting.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(not(target_arch = "wasm32"), derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum BotRule {
    /// `bot` or `crawl` anywhere (case-insensitive), except `bot` in boto / boto3 / botocore.
    #[default]
    Default,
    /// The lab script's rule exactly: `bot` or `crawl` anywhere, case-insensitive.
    Lab,
    /// The COUNTER-Robots list (robots and machines such as curl, wget, python).
    Counter,
    /// No bot filtering.
    Off,
}

impl BotRule {
    /// The rule's name as written in settings (`default`, `lab`, `counter`, `off`).
    pub fn name(self) -> &'static str {
        match self {
            BotRule::Default => "default",
            BotRule::Lab => "lab",
            BotRule::Counter => "counter",
            BotRule::Off => "off",
        }
    }
}

/// Finds `needle` (lowercase ASCII) in `hay`, ignoring ASCII case; calls `accept` with the
/// position after each match until it returns true.
#[inline]
fn find_ci(hay: &[u8], needle: &[u8], mut accept: impl FnMut(usize) -> bool) -> bool {
    let first = needle[0];
    let mut from = 0;
    while let Some(i) = memchr::memchr2(first, first.to_ascii_uppercase(), &hay[from..]) {
        let at = from + i;
        let end = at + needle.len();
        if end <= hay.len() && hay[at..end].eq_ignore_ascii_case(needle) && accept(end) {
            return true;
        }
        from = at + 1;
    }
    false
}

/// The lab's rule: `bot` or `crawl` anywhere, ignoring case.
pub fn is_bot_lab(ua: &[u8]) -> bool {
    find_ci(ua, b"bot", |_| true) || find_ci(ua, b"crawl", |_| true)
}

/// The default rule: the lab's, except that `bot` followed by `o` (boto, boto3,
/// botocore) is the AWS SDK, not a robot.
pub fn is_bot_default(ua: &[u8]) -> bool {
    find_ci(ua, b"bot", |end| !matches!(ua.get(end), Some(b'o' | b'O')))
        || find_ci(ua, b"crawl", |_| true)
}

/// The COUNTER-Robots patterns (robots, then machines), one regular expression a line.
pub const COUNTER_ROBOTS: &str = include_str!("counter_robots/robot.txt");
/// The COUNTER list of scripted clients (curl, wget, python...).
pub const COUNTER_MACHINES: &str = include_str!("counter_robots/machine.txt");

/// The COUNTER list, compiled once when chosen, with a bounded cache of answers per user
/// agent (real logs repeat a few thousand user agents millions of times).
pub struct CounterList {
    re: regex_lite::Regex,
    cache: HashMap<Box<[u8]>, bool>,
}

const CACHE_MAX: usize = 50_000;

impl CounterList {
    /// Compiles both lists into one expression.
    pub fn new() -> CounterList {
        let pattern = COUNTER_ROBOTS
            .lines()
            .chain(COUNTER_MACHINES.lines())
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("|");
        CounterList {
            re: regex_lite::Regex::new(&pattern).expect("the COUNTER list compiles"),
            cache: HashMap::new(),
        }
    }

    /// True when a pattern of the list matches the user agent.
    pub fn is_bot(&mut self, ua: &[u8]) -> bool {
        if let Some(&v) = self.cache.get(ua) {
            return v;
        }
        let v = self.re.is_match(&String::from_utf8_lossy(ua));
        if self.cache.len() >= CACHE_MAX {
            self.cache.clear();
        }
        self.cache.insert(ua.into(), v);
        v
    }
}

impl Default for CounterList {
    fn default() -> Self {
        CounterList::new()
    }
}

/// A bot rule ready to apply; the COUNTER list is compiled only for that rule.
pub struct BotMatcher {
    rule: BotRule,
    counter: Option<CounterList>,
}

impl BotMatcher {
    /// Prepares `rule`.
    pub fn new(rule: BotRule) -> BotMatcher {
        BotMatcher {
            rule,
            counter: (rule == BotRule::Counter).then(CounterList::new),
        }
    }

    /// True when the rule says the user agent is a robot. A missing user agent is not.
    #[inline]
    pub fn is_bot(&mut self, ua: Option<&[u8]>) -> bool {
        let Some(ua) = ua else { return false };
        match self.rule {
            BotRule::Default => is_bot_default(ua),
            BotRule::Lab => is_bot_lab(ua),
            BotRule::Counter => self.counter.as_mut().is_some_and(|c| c.is_bot(ua)),
            BotRule::Off => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_spares_the_aws_sdks() {
        let boto = b"Boto3/1.21.19 Python/3.9.10 Linux/4.4.0-1104-aws Botocore/1.24.19 Resource";
        let cli = b"aws-cli/2.15.0 Python/3.11.6 Linux/6.5 exe/x86_64.ubuntu.22 prompt/off command/s3.cp botocore/2.4";
        assert!(is_bot_lab(boto) && is_bot_lab(cli));
        assert!(!is_bot_default(boto) && !is_bot_default(cli));
        for ua in [
            &b"Googlebot/2.1"[..],
            b"Mozilla/5.0 (compatible; Baiduspider/2.0)",
            b"bingBOT",
            b"robot",
            b"CCBot/2.0",
            b"ia_archiver crawler",
            b"aranhabot",
        ] {
            let spider_only = ua.ends_with(b"Baiduspider/2.0)");
            assert_eq!(
                is_bot_default(ua),
                !spider_only,
                "{}",
                String::from_utf8_lossy(ua)
            );
        }
        assert!(!is_bot_default(b"Mozilla/5.0 (X11; Linux x86_64)"));
        assert!(!is_bot_default(b"bo"));
    }

    #[test]
    fn counter_list_compiles_and_matches() {
        let mut c = CounterList::new();
        assert!(c.is_bot(b"Mozilla/5.0 (compatible; Baiduspider/2.0)"));
        assert!(c.is_bot(b"curl/7.37.1"));
        assert!(c.is_bot(b"python-requests/2.31"));
        assert!(!c.is_bot(b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36"));
        // Cached answers agree with fresh ones.
        assert!(c.is_bot(b"curl/7.37.1"));
        let mut m = BotMatcher::new(BotRule::Off);
        assert!(!m.is_bot(Some(b"Googlebot")));
        let mut m = BotMatcher::new(BotRule::Default);
        assert!(!m.is_bot(None));
    }
}
