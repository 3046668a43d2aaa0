//! Another summary's user ids as this summary's ids, when summaries merge: every set of
//! theirs (a day's users with their counts, an object's users) becomes a sorted set of
//! ours (a day's are sorted by `DatasetAgg::absorb`).
//!
//! Their ids map to ours in no useful order, so each translated set must be sorted again.
//! Most sets are small next to the number of users: they are sorted. A set that is dense
//! among the ids (many users on one object) is put in a bit array over all the ids and
//! read back in order, which costs a pass over the array's words instead of a sort.

/// Their id -> our id, and a bit array over our ids, kept clear between uses.
pub(crate) struct Renumber<'a> {
    ids: &'a [u32],
    bits: Vec<u64>,
}

impl Renumber<'_> {
    /// For `ids` (their id -> our id) into a summary with `users` ids.
    pub(crate) fn new(ids: &[u32], users: usize) -> Renumber<'_> {
        Renumber {
            ids,
            bits: vec![0; users.div_ceil(64)],
        }
    }

    /// True when a set of `n` ids is better read back from the bit array than sorted.
    fn dense(&self, n: usize) -> bool {
        n.saturating_mul(8) >= self.bits.len()
    }

    /// Adds `theirs` (their ids, each once, `n` of them), as our ids, to `mine` (our ids,
    /// sorted, each once), which stays sorted with each id once.
    pub(crate) fn union_into(
        &mut self,
        mine: &mut Vec<u32>,
        theirs: impl IntoIterator<Item = u32>,
        n: usize,
    ) {
        if self.dense(n + mine.len()) {
            for &u in mine.iter() {
                self.bits[u as usize / 64] |= 1 << (u % 64);
            }
            for u in theirs {
                let m = self.ids[u as usize];
                self.bits[m as usize / 64] |= 1 << (m % 64);
            }
            mine.clear();
            mine.reserve(n);
            self.drain_bits(mine);
        } else {
            let had = !mine.is_empty();
            mine.extend(theirs.into_iter().map(|u| self.ids[u as usize]));
            mine.sort_unstable();
            if had {
                mine.dedup();
            }
        }
    }

    /// Appends the ids set in the bit array, in order, and clears it.
    fn drain_bits(&mut self, out: &mut Vec<u32>) {
        for (w, word) in self.bits.iter_mut().enumerate() {
            let mut x = std::mem::take(word);
            while x != 0 {
                out.push(w as u32 * 64 + x.trailing_zeros());
                x &= x - 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        /// Sparse and dense sets, with or without ids already there, give the sorted union.
        #[test]
        fn union_is_the_sorted_union(
            users in 1usize..3000,
            perm_seed in any::<u64>(),
            theirs in proptest::collection::btree_set(0u32..3000, 0..400),
            mine in proptest::collection::btree_set(0u32..3000, 0..400),
        ) {
            // Their ids 0..users, mapped to ours by a permutation.
            let mut ids: Vec<u32> = (0..users as u32).collect();
            let mut x = perm_seed | 1;
            for i in (1..ids.len()).rev() {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                ids.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let theirs: Vec<u32> = theirs.into_iter().filter(|&u| (u as usize) < users).collect();
            let mut mine: Vec<u32> = mine.into_iter().filter(|&u| (u as usize) < users).collect();
            let want: BTreeSet<u32> = mine.iter().copied().chain(theirs.iter().map(|&u| ids[u as usize])).collect();
            let mut r = Renumber::new(&ids, users);
            r.union_into(&mut mine, theirs.iter().copied(), theirs.len());
            let want: Vec<u32> = want.into_iter().collect();
            prop_assert_eq!(&mine, &want);
            prop_assert!(r.bits.iter().all(|&w| w == 0), "the bit array is left clear");
        }
    }
}
