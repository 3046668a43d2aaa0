//! The users of a summary: each remote IP with a counted download, with a small id and
//! its first download.

use super::HashMap;
use crate::ip::IpKey;
use crate::time::UnixSeconds;
use serde::{Deserialize, Serialize};

/// A user's earliest counted download. Ties on time go to the smallest line, so the
/// choice does not depend on the order in which lines arrive.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FirstDownload {
    /// UTC seconds.
    pub time: UnixSeconds,
    /// The whole line (lossy UTF-8), re-parsed for `parsed_output_filt.csv`.
    pub line: String,
}

impl PartialEq for FirstDownload {
    fn eq(&self, o: &FirstDownload) -> bool {
        (self.time, &self.line) == (o.time, &o.line)
    }
}
impl Eq for FirstDownload {}

impl FirstDownload {
    pub(super) fn earlier_than(&self, other: &FirstDownload) -> bool {
        (self.time, &self.line) < (other.time, &other.line)
    }
}

/// The users of a summary: each remote IP with a counted download gets a small id, in the
/// order first seen, so the per-object and per-week sets hold 4-byte ids instead of
/// 16-byte addresses. Ids are local to one summary: [`Summary::merge`] translates them.
/// Serialised as the list of (address, first download) in id order.
#[derive(Clone, Debug, Default)]
pub struct Users {
    pub(super) index: HashMap<IpKey, u32>,
    pub(super) list: Vec<(IpKey, FirstDownload)>,
}

impl Users {
    pub(super) fn push(&mut self, ip: IpKey, first: FirstDownload) -> u32 {
        // u32::MAX is no one's (a download with no address, while it is held back).
        let id = u32::try_from(self.list.len())
            .ok()
            .filter(|&id| id < u32::MAX)
            .expect("fewer than 2^32 - 1 users");
        self.index.insert(ip, id);
        self.list.push((ip, first));
        id
    }

    /// Number of distinct users.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True when no download was counted with a remote IP.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Each user's address and first download, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (IpKey, &FirstDownload)> {
        self.list.iter().map(|(ip, f)| (*ip, f))
    }

    /// The address of a user id.
    pub fn ip(&self, id: u32) -> IpKey {
        self.list[id as usize].0
    }
}

impl Serialize for Users {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.list.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Users {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Users, D::Error> {
        let list = Vec::<(IpKey, FirstDownload)>::deserialize(d)?;
        let mut index = HashMap::with_capacity_and_hasher(list.len(), Default::default());
        for (id, (ip, _)) in list.iter().enumerate() {
            if index.insert(*ip, id as u32).is_some() {
                return Err(serde::de::Error::custom("a user appears twice"));
            }
        }
        Ok(Users { index, list })
    }
}
