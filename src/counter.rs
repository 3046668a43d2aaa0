//! COUNTER usage for research data: the Code of Practice for Research Data 1.0.1 (CoPRD,
//! the Make Data Count standard; its section 10, "Processing Rules for Underlying
//! Reporting Data", cited as §10 below) applied to S3 server access logs.
//!
//! How each rule reads on S3 logs:
//!
//! - **What counts** (§10.1, return codes): GET and HEAD of an object (`REST.GET.OBJECT`,
//!   `WEBSITE.GET.OBJECT`, `REST.HEAD.OBJECT`, `WEBSITE.HEAD.OBJECT`) with status 200 or
//!   304. Every one is an *investigation*; the GETs are also *requests*. The settings'
//!   dates, prefix, excluded IPs and AWS-internal rule apply; the bot rule, the cloud
//!   exclusion and the size rule do not (COUNTER has its own robots, keeps machines, and
//!   a HEAD has no bytes).
//! - **Access method** (§10.5 robots, §10.6 machine access): a user agent the COUNTER
//!   machine list matches is `Machine` access, kept and reported apart; otherwise one the
//!   robots list matches is a robot and removed; otherwise `Regular`. Both lists are the
//!   `counter-robots` package's (`src/counter_robots/`), matched as it matches them: each
//!   list one regular expression, searched anywhere in the user agent, case-sensitively.
//!   A line without a user agent (`-`) is a robot: the robots list's `^.?$` says so.
//! - **Double-clicks** (§10.2): the user is the IP address and the user agent (option 1:
//!   S3 logs have no cookies or logins), and one-hour slices are the sessions. Actions of
//!   one session on one object (of one kind: investigation or request) at most 30
//!   seconds apart count once: the earlier is removed and the later kept, so a chain
//!   collapses to its last action. 29 s and 30 s are double-clicks, 35 s is not (§10.2's
//!   example); two actions in the same second keep the one that sent the most bytes.
//! - **Unique datasets** (§10.3): a session is `ip|user agent|UTC date|hour`; all the
//!   kept actions of one session on one dataset are one unique investigation (or
//!   request) of it.
//! - Each kept action counts in the month of its own time (a session is within one hour,
//!   so within one month); volume is the bytes_sent of the requests kept.
//!
//! **Exact whatever the split.** What a part of the input must remember for the merge to
//! be exact is, for each (session, object), the chains of its actions: their first and
//! last second in the hour and the bytes of the last GET. An action of another part may
//! fall within 30 seconds of any of them, so none can be settled before the end; chains
//! never cross an hour, so nothing is remembered per line, only per distinct (session,
//! object) and per chain. Two chains of a session and object join when they overlap or
//! are at most 30 s apart; joining is associative and commutative, so the merge of any
//! partition's summaries equals the summary of the whole.
//!
//! The investigations of a (session, object) are the chains of its GETs and its HEADs
//! together; they are worked out when the report is made, from the GET chains and the
//! HEAD chains kept apart (the ends of a chain are actions, so the chains of a union are
//! the union's chains joined).

use crate::ip::IpKey;
use crate::parse::Record;
use crate::summary::HashMap;
use crate::time::{civil_from_days, UnixSeconds};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// §10.2: actions this many seconds apart or fewer are a double-click.
pub const DOUBLE_CLICK_SECONDS: u16 = 30;
const HOUR: i64 = 3600;

/// How a user reached the data (CoPRD's `Access_Method`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Access {
    /// People at a browser (or any client not on either list).
    Regular,
    /// Scripts and tools on the COUNTER machine list (curl, wget, python...).
    Machine,
}

impl Access {
    /// As in the CSV (`Regular`, `Machine`).
    pub fn name(self) -> &'static str {
        match self {
            Access::Regular => "Regular",
            Access::Machine => "Machine",
        }
    }
}

/// A user agent as COUNTER sorts it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Class {
    /// Counted as `Regular`.
    Regular,
    /// Counted as `Machine`.
    Machine,
    /// Removed.
    Robot,
}

/// The two COUNTER lists, compiled once, with a bounded cache of answers per user agent.
pub struct Classifier {
    machine: regex_lite::Regex,
    robot: regex_lite::Regex,
    cache: HashMap<Box<[u8]>, Class>,
}

fn one_expression(list: &str) -> regex_lite::Regex {
    let pattern = list
        .lines()
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("|");
    regex_lite::Regex::new(&pattern).expect("the COUNTER lists compile")
}

impl Classifier {
    /// Compiles the machine and robots lists.
    pub fn new() -> Classifier {
        Classifier {
            machine: one_expression(crate::bots::COUNTER_MACHINES),
            robot: one_expression(crate::bots::COUNTER_ROBOTS),
            cache: HashMap::default(),
        }
    }

    /// The class of a user agent: the machine list first (the robots list also matches
    /// many machines), then the robots list.
    pub fn class(&mut self, ua: &[u8]) -> Class {
        if let Some(&c) = self.cache.get(ua) {
            return c;
        }
        let text = String::from_utf8_lossy(ua);
        let c = if self.machine.is_match(&text) {
            Class::Machine
        } else if self.robot.is_match(&text) {
            Class::Robot
        } else {
            Class::Regular
        };
        if self.cache.len() >= 50_000 {
            self.cache.clear();
        }
        self.cache.insert(ua.into(), c);
        c
    }
}

impl Default for Classifier {
    fn default() -> Self {
        Classifier::new()
    }
}

/// What kind of action a line is, if COUNTER counts it at all (§10.1).
pub fn action(operation: &[u8], status: Option<u16>) -> Option<bool> {
    if !matches!(status, Some(200 | 304)) {
        return None;
    }
    match operation {
        b"REST.GET.OBJECT" | b"WEBSITE.GET.OBJECT" => Some(true),
        b"REST.HEAD.OBJECT" | b"WEBSITE.HEAD.OBJECT" => Some(false),
        _ => None,
    }
}

/// A chain of actions within an hour: its first and last second, and the bytes sent by
/// its last action (the largest, for several in that second).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chain {
    /// First second into the hour.
    pub start: u16,
    /// Last second into the hour: the kept action.
    pub end: u16,
    /// bytes_sent of the kept action.
    pub bytes: u64,
}

impl Chain {
    fn touches(&self, o: &Chain) -> bool {
        o.start <= self.end + DOUBLE_CLICK_SECONDS && self.start <= o.end + DOUBLE_CLICK_SECONDS
    }

    fn join(self, o: Chain) -> Chain {
        let bytes = match self.end.cmp(&o.end) {
            std::cmp::Ordering::Greater => self.bytes,
            std::cmp::Ordering::Less => o.bytes,
            std::cmp::Ordering::Equal => self.bytes.max(o.bytes),
        };
        Chain {
            start: self.start.min(o.start),
            end: self.end.max(o.end),
            bytes,
        }
    }
}

/// Adds a chain to chains sorted and more than 30 s apart, joining those it touches.
pub fn add_chain(chains: &mut Vec<Chain>, new: Chain) {
    let w = DOUBLE_CLICK_SECONDS;
    let lo = chains.partition_point(|c| c.end + w < new.start);
    let hi = chains.partition_point(|c| c.start <= new.end + w);
    if lo >= hi {
        chains.insert(lo, new);
        return;
    }
    let joined = chains[lo..hi].iter().fold(new, |a, &c| a.join(c));
    chains.splice(lo..hi, [joined]);
}

/// The chains of GETs and of HEADs of one session and object. Almost always one GET
/// chain or one HEAD chain, kept in place; more go to the counter's `more`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Item {
    bytes: u64,
    get: (u16, u16),
    head: (u16, u16),
}

const NONE: u16 = u16::MAX;
const MORE: u16 = u16::MAX - 1;

impl Item {
    const EMPTY: Item = Item {
        bytes: 0,
        get: (NONE, 0),
        head: (NONE, 0),
    };
}

/// The chains of an item with more than one chain of a kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct More {
    get: Vec<Chain>,
    head: Vec<Chain>,
}

/// A user: an IP address and a user agent (an index into `agents`), and how they access.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct User {
    ip: IpKey,
    agent: u32,
    access: Access,
}

/// What COUNTER's rules need to remember, mergeable: the users, sessions, objects and
/// datasets seen, and per (session, object) its chains.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Counter {
    /// Lines COUNTER would count by operation and status (before any rule).
    pub actions: u64,
    /// Of those, removed as robots.
    pub robots: u64,
    /// Of those, removed by the settings (dates, prefix, excluded IPs, AWS-internal).
    pub filtered: u64,
    agents: Vec<String>,
    users: Vec<User>,
    /// (user, hour since 1970).
    sessions: Vec<(u32, u32)>,
    /// Each object's key and dataset.
    objects: Vec<(String, u32)>,
    /// Each dataset's name and DOI.
    datasets: Vec<(String, String)>,
    /// By `session << 32 | object`.
    items: HashMap<u64, Item>,
    more: HashMap<u64, More>,
    #[serde(skip)]
    index: Index,
}

/// The lookups of a counter, rebuilt after it is read.
#[derive(Clone, Debug, Default)]
struct Index {
    agents: HashMap<Box<[u8]>, u32>,
    users: HashMap<(IpKey, u32), u32>,
    /// By `user << 32 | hour` (16 bytes a session; keyed by IP it took 48).
    sessions: HashMap<u64, u32>,
    objects: HashMap<Box<[u8]>, u32>,
    datasets: HashMap<String, u32>,
}

fn id(n: usize) -> u32 {
    u32::try_from(n).expect("fewer than 2^32 of each")
}

/// The hour of a time (hours since 1970) and its second into that hour.
fn hour_of(t: UnixSeconds) -> (u32, u16) {
    let h = t.div_euclid(HOUR).clamp(0, u32::MAX as i64) as u32;
    (h, t.rem_euclid(HOUR) as u16)
}

impl Counter {
    /// The id of a user agent (robots' too: their class is worked out once per agent).
    pub fn agent(&mut self, agent: &[u8]) -> u32 {
        if let Some(&a) = self.index.agents.get(agent) {
            return a;
        }
        let a = id(self.agents.len());
        self.agents
            .push(String::from_utf8_lossy(agent).into_owned());
        self.index.agents.insert(agent.into(), a);
        a
    }

    /// The session of an IP and an agent (by id) in an hour (since 1970).
    pub fn session(&mut self, ip: IpKey, agent: u32, access: Access, hour: u32) -> u32 {
        let u = self.user(User { ip, agent, access });
        self.user_session(u, hour)
    }

    /// The id of a user, added if new.
    fn user(&mut self, u: User) -> u32 {
        *self.index.users.entry((u.ip, u.agent)).or_insert_with(|| {
            self.users.push(u);
            id(self.users.len() - 1)
        })
    }

    /// The session of a user (by id) in an hour, added if new.
    fn user_session(&mut self, u: u32, hour: u32) -> u32 {
        *self
            .index
            .sessions
            .entry(u64::from(u) << 32 | u64::from(hour))
            .or_insert_with(|| {
                self.sessions.push((u, hour));
                id(self.sessions.len() - 1)
            })
    }

    /// Counts one action of a session on an object at `second` into its hour: a GET
    /// (a request) with the bytes it sent, or a HEAD.
    pub fn action(&mut self, session: u32, object: u32, get: bool, second: u16, bytes: u64) {
        let chain = Chain {
            start: second,
            end: second,
            bytes: if get { bytes } else { 0 },
        };
        self.add_chain(u64::from(session) << 32 | u64::from(object), get, chain);
    }

    /// The id of an object by its raw key; its dataset worked out by `of` when new.
    pub fn object(&mut self, key: &[u8], of: impl FnOnce(&[u8]) -> (String, String)) -> u32 {
        if let Some(&o) = self.index.objects.get(key) {
            return o;
        }
        let (name, doi) = of(key);
        let d = self.dataset(name, doi);
        let o = id(self.objects.len());
        self.objects
            .push((String::from_utf8_lossy(key).into_owned(), d));
        self.index.objects.insert(key.into(), o);
        o
    }

    fn dataset(&mut self, name: String, doi: String) -> u32 {
        if let Some(&d) = self.index.datasets.get(&name) {
            return d;
        }
        let d = id(self.datasets.len());
        self.index.datasets.insert(name.clone(), d);
        self.datasets.push((name, doi));
        d
    }

    /// Adds a chain of GETs (`get`) or HEADs to an item.
    fn add_chain(&mut self, key: u64, get: bool, c: Chain) {
        let item = self.items.entry(key).or_insert(Item::EMPTY);
        if item.get.0 != MORE {
            let slot = if get { &mut item.get } else { &mut item.head };
            if slot.0 == NONE {
                *slot = (c.start, c.end);
                if get {
                    item.bytes = c.bytes;
                }
                return;
            }
            let old = Chain {
                start: slot.0,
                end: slot.1,
                bytes: if get { item.bytes } else { 0 },
            };
            if old.touches(&c) {
                let j = old.join(c);
                *slot = (j.start, j.end);
                if get {
                    item.bytes = j.bytes;
                }
                return;
            }
            // A second chain of this kind: the item's chains move to `more`.
            let mut m = More::default();
            if item.get.0 != NONE {
                m.get.push(Chain {
                    start: item.get.0,
                    end: item.get.1,
                    bytes: item.bytes,
                });
            }
            if item.head.0 != NONE {
                m.head.push(Chain {
                    start: item.head.0,
                    end: item.head.1,
                    bytes: 0,
                });
            }
            *item = Item {
                bytes: 0,
                get: (MORE, 0),
                head: (MORE, 0),
            };
            self.more.insert(key, m);
        }
        let m = self
            .more
            .get_mut(&key)
            .expect("an item's chains are in more");
        add_chain(if get { &mut m.get } else { &mut m.head }, c);
    }

    /// The GET chains and the HEAD chains of an item, into `gets` and `heads`.
    fn chains_into(&self, key: u64, item: &Item, gets: &mut Vec<Chain>, heads: &mut Vec<Chain>) {
        gets.clear();
        heads.clear();
        if item.get.0 == MORE {
            let m = &self.more[&key];
            gets.extend_from_slice(&m.get);
            heads.extend_from_slice(&m.head);
            return;
        }
        if item.get.0 != NONE {
            gets.push(Chain {
                start: item.get.0,
                end: item.get.1,
                bytes: item.bytes,
            });
        }
        if item.head.0 != NONE {
            heads.push(Chain {
                start: item.head.0,
                end: item.head.1,
                bytes: 0,
            });
        }
    }

    /// The GET chains and the HEAD chains of an item.
    fn chains(&self, key: u64, item: &Item) -> (Vec<Chain>, Vec<Chain>) {
        let (mut gets, mut heads) = (Vec::new(), Vec::new());
        self.chains_into(key, item, &mut gets, &mut heads);
        (gets, heads)
    }

    /// Adds another counter into this one.
    pub fn merge(&mut self, other: Counter) {
        self.actions += other.actions;
        self.robots += other.robots;
        self.filtered += other.filtered;
        if self.index.agents.len() != self.agents.len() {
            // Read, not built here: its lookups are made (its ids were checked when read).
            self.reindex()
                .expect("a counter's ids were checked when it was read");
        }
        let agents: Vec<u32> = other
            .agents
            .iter()
            .map(|a| match self.index.agents.get(a.as_bytes()) {
                Some(&a) => a,
                None => {
                    let n = id(self.agents.len());
                    self.agents.push(a.clone());
                    self.index.agents.insert(a.as_bytes().into(), n);
                    n
                }
            })
            .collect();
        let users: Vec<u32> = other
            .users
            .iter()
            .map(|u| {
                self.user(User {
                    agent: agents[u.agent as usize],
                    ..*u
                })
            })
            .collect();
        let sessions: Vec<u32> = other
            .sessions
            .iter()
            .map(|&(u, h)| self.user_session(users[u as usize], h))
            .collect();
        let datasets: Vec<u32> = other
            .datasets
            .iter()
            .map(|(n, d)| self.dataset(n.clone(), d.clone()))
            .collect();
        let objects: Vec<u32> = other
            .objects
            .iter()
            .map(|(k, d)| {
                let d = datasets[*d as usize];
                *self
                    .index
                    .objects
                    .entry(k.as_bytes().into())
                    .or_insert_with(|| {
                        self.objects.push((k.clone(), d));
                        id(self.objects.len() - 1)
                    })
            })
            .collect();
        self.items.reserve(other.items.len());
        let (mut gets, mut heads) = (Vec::new(), Vec::new());
        for (&k, item) in &other.items {
            other.chains_into(k, item, &mut gets, &mut heads);
            let key = u64::from(sessions[(k >> 32) as usize]) << 32
                | u64::from(objects[k as u32 as usize]);
            for &c in &gets {
                self.add_chain(key, true, c);
            }
            for &c in &heads {
                self.add_chain(key, false, c);
            }
        }
    }

    /// Rebuilds the lookups (after the counter was read), checking that every id it
    /// holds names something it has.
    pub fn reindex(&mut self) -> Result<(), String> {
        let mut ix = Index::default();
        for (i, a) in self.agents.iter().enumerate() {
            ix.agents.insert(a.as_bytes().into(), id(i));
        }
        for (i, u) in self.users.iter().enumerate() {
            if u.agent as usize >= self.agents.len() {
                return Err("a COUNTER user names an agent it does not have".into());
            }
            ix.users.insert((u.ip, u.agent), id(i));
        }
        for (i, &(u, h)) in self.sessions.iter().enumerate() {
            if u as usize >= self.users.len() {
                return Err("a COUNTER session names a user it does not have".into());
            }
            ix.sessions.insert(u64::from(u) << 32 | u64::from(h), id(i));
        }
        for (i, (n, _)) in self.datasets.iter().enumerate() {
            ix.datasets.insert(n.clone(), id(i));
        }
        for (i, (k, d)) in self.objects.iter().enumerate() {
            if *d as usize >= self.datasets.len() {
                return Err("a COUNTER object names a dataset it does not have".into());
            }
            ix.objects.insert(k.as_bytes().into(), id(i));
        }
        for (&k, item) in &self.items {
            if (k >> 32) as usize >= self.sessions.len()
                || k as u32 as usize >= self.objects.len()
                || (item.get.0 == MORE) != self.more.contains_key(&k)
            {
                return Err("a COUNTER item names what the summary does not have".into());
            }
        }
        self.index = ix;
        Ok(())
    }

    /// What the counter says, whatever ids it gave: its counts, and each (IP, user agent,
    /// access, hour, object key, dataset) with its GET and HEAD chains.
    #[allow(clippy::type_complexity)]
    pub(crate) fn canonical(
        &self,
    ) -> (
        [u64; 3],
        BTreeMap<(IpKey, &str, Access, u32, &str, &str, &str), (Vec<Chain>, Vec<Chain>)>,
    ) {
        let items = self
            .items
            .iter()
            .map(|(&k, item)| {
                let (user, hour) = self.sessions[(k >> 32) as usize];
                let u = &self.users[user as usize];
                let (key, d) = &self.objects[k as u32 as usize];
                let (name, doi) = &self.datasets[*d as usize];
                let agent = self.agents[u.agent as usize].as_str();
                let at = (
                    u.ip,
                    agent,
                    u.access,
                    hour,
                    key.as_str(),
                    name.as_str(),
                    doi.as_str(),
                );
                (at, self.chains(k, item))
            })
            .collect();
        ([self.actions, self.robots, self.filtered], items)
    }

    /// True when nothing was counted or removed.
    pub fn is_empty(&self) -> bool {
        self.actions == 0 && self.items.is_empty()
    }

    /// The distinct (session, object) pairs remembered, and of them those with more than
    /// one chain of a kind: what the memory grows with.
    pub fn size(&self) -> (usize, usize) {
        (self.items.len(), self.more.len())
    }

    /// The sessions (user and hour) remembered.
    pub fn sessions(&self) -> usize {
        self.sessions.len()
    }

    /// The four metrics and the volume per dataset, month and access method, and the
    /// same per country (`country` of each user's IP, looked up once per user).
    pub fn metrics(&self, country: &mut dyn FnMut(IpKey) -> String) -> Vec<CounterRow> {
        type Key = (u32, u32, Access);
        // Each user's country, as a small number (looked up once per user).
        let mut codes: Vec<String> = Vec::new();
        let mut code_ids: HashMap<String, u32> = HashMap::default();
        let user_country: Vec<u32> = self
            .users
            .iter()
            .map(|u| {
                let c = country(u.ip);
                *code_ids.entry(c.clone()).or_insert_with(|| {
                    codes.push(c);
                    id(codes.len() - 1)
                })
            })
            .collect();
        let mut rows: HashMap<Key, (Metrics, BTreeMap<u32, Metrics>)> = HashMap::default();
        // The items in order of session: the datasets a session has seen are a short list.
        let mut items: Vec<(u64, Item)> = self.items.iter().map(|(&k, &i)| (k, i)).collect();
        items.sort_unstable_by_key(|&(k, _)| k);
        let (mut gets, mut heads, mut joined) = (Vec::new(), Vec::new(), Vec::new());
        let mut seen: Vec<(u32, bool)> = Vec::new();
        let mut current = u32::MAX;
        for (k, item) in items {
            let (session, object) = ((k >> 32) as u32, k as u32);
            if session != current {
                current = session;
                seen.clear();
            }
            let (user, hour) = self.sessions[session as usize];
            let u = &self.users[user as usize];
            let dataset = self.objects[object as usize].1;
            self.chains_into(k, &item, &mut gets, &mut heads);
            joined.clear();
            joined.extend_from_slice(&gets);
            for &c in &heads {
                add_chain(&mut joined, c);
            }
            // §10.3: one unique investigation (request) per session and dataset.
            let (first_inv, first_req) = match seen.iter_mut().find(|(d, _)| *d == dataset) {
                Some((_, req)) => {
                    let first_req = !*req && !gets.is_empty();
                    *req |= !gets.is_empty();
                    (false, first_req)
                }
                None => {
                    seen.push((dataset, !gets.is_empty()));
                    (true, !gets.is_empty())
                }
            };
            let m = Metrics {
                total_investigations: joined.len() as u64,
                unique_investigations: u64::from(first_inv),
                total_requests: gets.len() as u64,
                unique_requests: u64::from(first_req),
                volume: gets.iter().map(|c| c.bytes).sum(),
            };
            let row = rows
                .entry((dataset, month_of_hour(hour), u.access))
                .or_default();
            row.0.add(&m);
            row.1
                .entry(user_country[user as usize])
                .or_default()
                .add(&m);
        }
        let mut out: Vec<CounterRow> = rows
            .into_iter()
            .map(|((d, month, access), (metrics, countries))| {
                let (name, doi) = &self.datasets[d as usize];
                CounterRow {
                    dataset: name.clone(),
                    doi: doi.clone(),
                    month: month_name(month),
                    access,
                    metrics,
                    countries: countries
                        .into_iter()
                        .map(|(c, m)| (codes[c as usize].clone(), m))
                        .collect(),
                }
            })
            .collect();
        out.sort_by(|a, b| (&a.dataset, &a.month, a.access).cmp(&(&b.dataset, &b.month, b.access)));
        out
    }
}

/// A month as a number: year * 12 + month - 1.
fn month_of_hour(hour: u32) -> u32 {
    let (y, m, _) = civil_from_days(i64::from(hour) / 24);
    (y * 12) as u32 + m - 1
}

fn month_name(m: u32) -> String {
    format!("{:04}-{:02}", m / 12, m % 12 + 1)
}

/// COUNTER's four metrics and the volume.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metrics {
    /// Total_Dataset_Investigations.
    pub total_investigations: u64,
    /// Unique_Dataset_Investigations.
    pub unique_investigations: u64,
    /// Total_Dataset_Requests.
    pub total_requests: u64,
    /// Unique_Dataset_Requests.
    pub unique_requests: u64,
    /// bytes_sent of the requests kept.
    pub volume: u64,
}

impl Metrics {
    fn add(&mut self, o: &Metrics) {
        self.total_investigations += o.total_investigations;
        self.unique_investigations += o.unique_investigations;
        self.total_requests += o.total_requests;
        self.unique_requests += o.unique_requests;
        self.volume += o.volume;
    }
}

/// The metrics of a dataset in a month by an access method.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterRow {
    /// The dataset's name.
    pub dataset: String,
    /// Its DOI (empty when it has none).
    pub doi: String,
    /// `YYYY-MM` (UTC).
    pub month: String,
    /// `Regular` or `Machine`.
    pub access: Access,
    /// The metrics.
    #[serde(flatten)]
    pub metrics: Metrics,
    /// The same by country (ISO code; `Unknown` for addresses in no country).
    pub countries: BTreeMap<String, Metrics>,
}

/// The COUNTER part of a session: the lists compiled once, applied to each parsed line,
/// with what the last line's user agent, session and object were (a user's lines often
/// come one after another: no lookup then).
pub struct Scan {
    classifier: Classifier,
    /// Each agent's class, by the counter's agent id.
    classes: Vec<Option<Class>>,
    last_agent: Vec<u8>,
    last_agent_id: Option<u32>,
    last_session: Option<(IpKey, u32, u32, u32)>,
    last_key: Vec<u8>,
    last_object: Option<u32>,
}

impl Scan {
    /// Prepares the lists.
    pub fn new() -> Scan {
        Scan {
            classifier: Classifier::new(),
            classes: Vec::new(),
            last_agent: Vec::new(),
            last_agent_id: None,
            last_session: None,
            last_key: Vec::new(),
            last_object: None,
        }
    }

    /// Applies the rules to a parsed line: `removed` says whether the settings' filters
    /// (dates, prefix, excluded IPs, AWS-internal) remove it.
    pub fn line(
        &mut self,
        rec: &Record<'_>,
        counter: &mut Counter,
        removed: impl FnOnce(&Record<'_>) -> bool,
        of: impl FnOnce(&[u8]) -> (String, String),
    ) {
        // §10.1: GET and HEAD of an object, 200 or 304.
        let Some(get) = action(rec.operation(), rec.http_status) else {
            return;
        };
        counter.actions += 1;
        let Some(ip) = rec.remote_ip else {
            counter.filtered += 1;
            return;
        };
        if removed(rec) {
            counter.filtered += 1;
            return;
        }
        // §10.5, §10.6: machines first, then robots. A missing agent is `-`.
        let agent = rec.user_agent().unwrap_or(b"-");
        let a = match self.last_agent_id {
            Some(a) if self.last_agent == agent => a,
            _ => {
                let a = counter.agent(agent);
                self.last_agent.clear();
                self.last_agent.extend_from_slice(agent);
                self.last_agent_id = Some(a);
                a
            }
        };
        if self.classes.len() <= a as usize {
            self.classes.resize(a as usize + 1, None);
        }
        let class = *self.classes[a as usize].get_or_insert_with(|| self.classifier.class(agent));
        let access = match class {
            Class::Robot => {
                counter.robots += 1;
                return;
            }
            Class::Machine => Access::Machine,
            Class::Regular => Access::Regular,
        };
        // §10.2, §10.3: the session is ip|user agent|date|hour.
        let (hour, second) = hour_of(rec.time);
        let session = match self.last_session {
            Some((lip, la, lh, s)) if lip == ip && la == a && lh == hour => s,
            _ => {
                let s = counter.session(ip, a, access, hour);
                self.last_session = Some((ip, a, hour, s));
                s
            }
        };
        let key = rec.key().unwrap_or(b"-");
        let object = match self.last_object {
            Some(o) if self.last_key == key => o,
            _ => {
                let o = counter.object(key, of);
                self.last_key.clear();
                self.last_key.extend_from_slice(key);
                self.last_object = Some(o);
                o
            }
        };
        counter.action(session, object, get, second, rec.bytes_sent.unwrap_or(0));
    }
}

impl Default for Scan {
    fn default() -> Self {
        Scan::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(start: u16, end: u16, bytes: u64) -> Chain {
        Chain { start, end, bytes }
    }

    #[test]
    fn chains_join_when_at_most_30_seconds_apart() {
        let mut v = Vec::new();
        add_chain(&mut v, c(100, 100, 1));
        add_chain(&mut v, c(200, 200, 2));
        assert_eq!(v.len(), 2);
        add_chain(&mut v, c(130, 130, 3)); // 30 s after 100: one chain
        assert_eq!(v, vec![c(100, 130, 3), c(200, 200, 2)]);
        add_chain(&mut v, c(165, 165, 4)); // 35 s after 130, 35 s before 200: apart
        assert_eq!(v.len(), 3);
        add_chain(&mut v, c(170, 170, 5)); // bridges 165 and 200 (30 s), not 130
        assert_eq!(v, vec![c(100, 130, 3), c(165, 200, 2)]);
        add_chain(&mut v, c(200, 200, 9)); // same second as the last: the larger bytes
        assert_eq!(v[1], c(165, 200, 9));
    }

    #[test]
    fn classes_follow_the_machine_list_first() {
        let mut k = Classifier::new();
        assert_eq!(k.class(b"curl/8.5.0"), Class::Machine);
        assert_eq!(k.class(b"python-requests/2.31.0"), Class::Machine);
        assert_eq!(k.class(b"Wget/1.21.4"), Class::Machine);
        assert_eq!(
            k.class(b"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
            Class::Robot
        );
        assert_eq!(
            k.class(b"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
            Class::Regular
        );
        // The robots list's `^.?$`: no user agent (S3 writes `-`) is a robot.
        assert_eq!(k.class(b"-"), Class::Robot);
    }
}
