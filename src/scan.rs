//! Finding the end of a short field: the first occurrence of one byte, 16 bytes at a
//! time, inlined into the parser.
//!
//! Most fields of a log line are a few to a few dozen bytes long. `memchr` is the right
//! tool for long haystacks (lines in a chunk, quotes in a URI), but for a field that ends
//! within its first 16 bytes its call and set-up cost more than the search. This finder
//! compares 16 bytes at once with the target's baseline vector instructions (SSE2 on
//! x86-64, simd128 on wasm32 when built with it) or, elsewhere, two 8-byte words.

/// The index of the first `needle` in `hay[from..]` (as an index into `hay`), or
/// `hay.len()` when there is none.
#[inline(always)]
pub fn find_byte(hay: &[u8], from: usize, needle: u8) -> usize {
    let mut i = from;
    while i + 16 <= hay.len() {
        let block: &[u8; 16] = hay[i..i + 16].try_into().expect("16 bytes");
        let m = eq_mask(block, needle);
        if m != 0 {
            return i + m.trailing_zeros() as usize;
        }
        i += 16;
    }
    while i < hay.len() {
        if hay[i] == needle {
            return i;
        }
        i += 1;
    }
    hay.len()
}

/// Bit `k` is set when `block[k] == needle`.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn eq_mask(block: &[u8; 16], needle: u8) -> u32 {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    // SAFETY: SSE2 is enabled for this target (cfg above); the load reads exactly the 16
    // bytes of `block`, with no alignment requirement.
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast());
        _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(needle as i8))) as u32
    }
}

/// Bit `k` is set when `block[k] == needle`.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn eq_mask(block: &[u8; 16], needle: u8) -> u32 {
    use std::arch::wasm32::{u8x16_bitmask, u8x16_eq, u8x16_splat, v128, v128_load};
    // SAFETY: simd128 is enabled for this target (cfg above); the load reads exactly the
    // 16 bytes of `block` (v128_load has no alignment requirement).
    let v = unsafe { v128_load(block.as_ptr().cast::<v128>()) };
    u8x16_bitmask(u8x16_eq(v, u8x16_splat(needle))) as u32
}

/// Bit `k` is set when `block[k] == needle`.
#[cfg(not(any(
    all(target_arch = "x86_64", target_feature = "sse2"),
    all(target_arch = "wasm32", target_feature = "simd128")
)))]
#[inline(always)]
fn eq_mask(block: &[u8; 16], needle: u8) -> u32 {
    eq_mask_words(block, needle)
}

/// [`eq_mask`] with two 8-byte words, for targets without vector instructions (and
/// tested everywhere).
#[cfg_attr(
    any(
        all(target_arch = "x86_64", target_feature = "sse2"),
        all(target_arch = "wasm32", target_feature = "simd128")
    ),
    allow(dead_code)
)]
#[inline(always)]
fn eq_mask_words(block: &[u8; 16], needle: u8) -> u32 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // Byte k of the product's top byte gathers bit 8k of its left operand.
    const GATHER: u64 = 0x0102_0408_1020_4080;
    let word = |half: &[u8]| {
        let x = u64::from_le_bytes(half.try_into().expect("8 bytes")) ^ (needle as u64 * LO);
        // The high bit of each byte that is zero in x (exact: no carries between bytes).
        let zero = !(((x & !HI) + !HI) | x) & HI;
        ((zero >> 7).wrapping_mul(GATHER) >> 56) as u32
    };
    word(&block[..8]) | word(&block[8..]) << 8
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::{eq_mask, eq_mask_words, find_byte};
    use proptest::prelude::*;

    fn naive(block: &[u8; 16], needle: u8) -> u32 {
        (0..16)
            .filter(|&k| block[k] == needle)
            .map(|k| 1 << k)
            .sum()
    }

    proptest! {
        #[test]
        fn masks_agree_with_a_byte_by_byte_comparison(
            block in proptest::array::uniform16(prop_oneof![Just(b' '), Just(b'"'), any::<u8>()]),
            needle in prop_oneof![Just(b' '), Just(b'"'), any::<u8>()],
        ) {
            prop_assert_eq!(eq_mask(&block, needle), naive(&block, needle));
            prop_assert_eq!(eq_mask_words(&block, needle), naive(&block, needle));
        }
    }

    #[test]
    fn finds_the_first_needle_from_any_start() {
        let hay: Vec<u8> = (0..100u8)
            .map(|i| if i % 7 == 3 { b' ' } else { b'a' + i % 26 })
            .collect();
        for from in 0..=hay.len() {
            let want = hay[from..]
                .iter()
                .position(|&c| c == b' ')
                .map_or(hay.len(), |i| from + i);
            assert_eq!(find_byte(&hay, from, b' '), want, "from {from}");
        }
        assert_eq!(find_byte(b"abc", 0, b'"'), 3);
        assert_eq!(find_byte(b"", 0, b' '), 0);
        // Bytes with the high bit set are not confused with the needle.
        assert_eq!(find_byte(&[0xa0; 40], 0, b' '), 40);
        assert_eq!(find_byte(&[0xff, 0x20, 0x80], 0, b' '), 1);
    }
}
