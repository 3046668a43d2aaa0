//! The lookup shared by every address table: the sorted starts of disjoint ranges (IPv4
//! and IPv6 apart), each with an id; an address takes the id of the last range that
//! starts at or before it. Packed tables store the starts as the gaps between them.

use crate::ip::IpKey;

/// Disjoint ranges of both families with an id each (the default id: none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ranges<I> {
    v4_starts: Vec<u32>,
    v4_ids: Vec<I>,
    v6_starts: Vec<u128>,
    v6_ids: Vec<I>,
}

impl<I: Copy + Default> Ranges<I> {
    /// The ranges from their gaps (the first start is its own gap) and ids, checking that
    /// the starts increase, that each has an id and that every id is `known`; `what`
    /// names the table in the error.
    pub fn from_gaps(
        what: &str,
        (v4_gaps, v4_ids): (&[u32], Vec<I>),
        (v6_gaps, v6_ids): (&[u128], Vec<I>),
        known: impl Fn(I) -> bool,
    ) -> Result<Ranges<I>, String> {
        let v4_starts = starts(what, v4_gaps, |a, b| a.checked_add(b))?;
        let v6_starts = starts(what, v6_gaps, |a, b| a.checked_add(b))?;
        if v4_starts.len() != v4_ids.len()
            || v6_starts.len() != v6_ids.len()
            || !v4_ids.iter().chain(&v6_ids).all(|&i| known(i))
        {
            return Err(format!("{what}'s ranges do not match their entries"));
        }
        Ok(Ranges {
            v4_starts,
            v4_ids,
            v6_starts,
            v6_ids,
        })
    }

    /// The id of the range that holds an address (the default when none does).
    #[inline]
    pub fn lookup(&self, ip: IpKey) -> I {
        if ip.is_v4() {
            find(&self.v4_starts, &self.v4_ids, ip.0 as u32)
        } else {
            find(&self.v6_starts, &self.v6_ids, ip.0)
        }
    }

    /// How many starts (ranges and the gaps between them) each family has: (IPv4, IPv6).
    pub fn len(&self) -> (usize, usize) {
        (self.v4_starts.len(), self.v6_starts.len())
    }

    /// True when no range is held.
    pub fn is_empty(&self) -> bool {
        self.v4_starts.is_empty() && self.v6_starts.is_empty()
    }
}

/// Starts from the gaps between them; each after the one before.
fn starts<T: Copy + Default + PartialEq>(
    what: &str,
    gaps: &[T],
    add: impl Fn(T, T) -> Option<T>,
) -> Result<Vec<T>, String> {
    let mut out = Vec::with_capacity(gaps.len());
    let mut prev: Option<T> = None;
    for &g in gaps {
        let s = match prev {
            None => g,
            Some(_) if g == T::default() => return Err(format!("{what}'s ranges repeat")),
            Some(p) => {
                add(p, g).ok_or_else(|| format!("{what}'s ranges run past the last address"))?
            }
        };
        out.push(s);
        prev = Some(s);
    }
    Ok(out)
}

#[inline]
fn find<T: Ord + Copy, I: Copy + Default>(starts: &[T], ids: &[I], x: T) -> I {
    match starts.partition_point(|&s| s <= x) {
        0 => I::default(),
        i => ids[i - 1],
    }
}
