//! Remote IPs as numbers: one user is one address, whatever its spelling
//! (`2001:db8::1` and `2001:0db8:0:0:0:0:0:1` are the same key), and CIDR ranges.

use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address as a 128-bit number; IPv4 addresses are stored IPv4-mapped (`::ffff:a.b.c.d`).
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
pub struct IpKey(pub u128);

const V4_MAPPED: u128 = 0xffff_0000_0000;

impl IpKey {
    /// The key of an IPv4 address.
    pub fn v4(a: u32) -> IpKey {
        IpKey(V4_MAPPED | a as u128)
    }

    /// True when the key holds an IPv4 address.
    pub fn is_v4(self) -> bool {
        self.0 >> 32 == 0xffff
    }

    /// The address in its canonical text form (RFC 5952 for IPv6).
    pub fn to_addr(self) -> IpAddr {
        if self.is_v4() {
            IpAddr::V4(Ipv4Addr::from(self.0 as u32))
        } else {
            IpAddr::V6(Ipv6Addr::from(self.0))
        }
    }

    /// The network that hides the host: the /24 of an IPv4 address, the /48 of an IPv6 one.
    pub fn network(self) -> String {
        if self.is_v4() {
            let a = self.0 as u32 & 0xffff_ff00;
            format!("{}/24", Ipv4Addr::from(a))
        } else {
            let a = self.0 & !((1u128 << 80) - 1);
            format!("{}/48", Ipv6Addr::from(a))
        }
    }
}

impl From<IpAddr> for IpKey {
    fn from(a: IpAddr) -> IpKey {
        match a {
            IpAddr::V4(v4) => IpKey::v4(u32::from(v4)),
            IpAddr::V6(v6) => IpKey(u128::from(v6)),
        }
    }
}

/// Parses the remote_ip field. IPv4 dotted quads take a fast path (inlined into the
/// parser); anything with a `:` is IPv6: the usual spellings on a fast path, the rest by
/// the standard library's parser.
#[inline(always)]
pub fn parse_ip(b: &[u8]) -> Option<IpKey> {
    match parse_v4(b) {
        Some(v4) => Some(IpKey::v4(v4)),
        None => parse_v6(b),
    }
}

#[inline(never)]
fn parse_v6(b: &[u8]) -> Option<IpKey> {
    if b.len() > 45 || !b.contains(&b':') {
        return None;
    }
    if let Some(v6) = parse_v6_fast(b) {
        return Some(IpKey(v6));
    }
    let s = std::str::from_utf8(b).ok()?;
    s.parse::<Ipv6Addr>().ok().map(|a| IpKey(u128::from(a)))
}

/// The usual IPv6 spellings (hex groups and one `::`), without the standard library's
/// general parser. `None` when unsure (an embedded IPv4 part, a zone, anything odd): the
/// caller then asks the standard library, which decides. When it says `Some`, it agrees
/// with the standard library (property-tested).
#[inline]
fn parse_v6_fast(b: &[u8]) -> Option<u128> {
    let n = b.len();
    let mut groups = [0u16; 8];
    let mut count = 0usize;
    let mut gap: Option<usize> = None;
    let mut i = 0;
    if n >= 2 && b[0] == b':' && b[1] == b':' {
        gap = Some(0);
        i = 2;
    }
    while i < n {
        let mut v = 0u32;
        let start = i;
        while i < n && i - start < 4 {
            let d = match b[i] {
                c @ b'0'..=b'9' => c - b'0',
                c @ b'a'..=b'f' => c - b'a' + 10,
                c @ b'A'..=b'F' => c - b'A' + 10,
                _ => break,
            };
            v = v << 4 | d as u32;
            i += 1;
        }
        if i == start || count == 8 {
            return None;
        }
        groups[count] = v as u16;
        count += 1;
        if i == n {
            break;
        }
        if b[i] != b':' {
            return None;
        }
        i += 1;
        if i < n && b[i] == b':' {
            if gap.is_some() {
                return None;
            }
            gap = Some(count);
            i += 1;
        } else if i == n {
            return None;
        }
    }
    let mut out = [0u16; 8];
    match gap {
        None if count == 8 => out = groups,
        // `::` stands for at least one group.
        Some(at) if count <= 7 => {
            out[..at].copy_from_slice(&groups[..at]);
            let tail = count - at;
            out[8 - tail..].copy_from_slice(&groups[at..count]);
        }
        _ => return None,
    }
    Some(out.iter().fold(0u128, |a, &g| a << 16 | g as u128))
}

#[inline(always)]
fn parse_v4(b: &[u8]) -> Option<u32> {
    if b.len() < 7 || b.len() > 15 {
        return None;
    }
    let digit = |i: usize| b.get(i).map(|c| c.wrapping_sub(b'0')).filter(|&d| d <= 9);
    let mut out = 0u32;
    let mut i = 0;
    for k in 0..4 {
        // An octet: one to three digits, no leading zero (as the standard library rules).
        let mut v = digit(i)? as u32;
        i += 1;
        if let Some(d) = digit(i) {
            if v == 0 {
                return None;
            }
            v = v * 10 + d as u32;
            i += 1;
            if let Some(d) = digit(i) {
                v = v * 10 + d as u32;
                i += 1;
            }
        }
        if v > 255 {
            return None;
        }
        out = out << 8 | v;
        if k < 3 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
    }
    (i == b.len()).then_some(out)
}

/// An address range: `192.0.2.0/24`, `2001:db8::/32`, or a single address.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Cidr {
    base: u128,
    mask: u128,
}

impl Cidr {
    /// Parses `ADDR` or `ADDR/LEN`.
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{s}` is not an IP address or CIDR range"))?;
        let key = IpKey::from(addr);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len: u32 = match len {
            None => max,
            Some(l) => l
                .parse()
                .ok()
                .filter(|&l| l <= max)
                .ok_or_else(|| format!("`{s}`: the prefix length must be 0 to {max}"))?,
        };
        // IPv4 lengths count within the mapped 32 low bits.
        let len128 = if addr.is_ipv4() { 96 + len } else { len };
        let mask = if len128 == 0 {
            0
        } else {
            u128::MAX << (128 - len128)
        };
        Ok(Cidr {
            base: key.0 & mask,
            mask,
        })
    }

    /// True when the address lies in the range.
    #[inline]
    pub fn contains(&self, ip: IpKey) -> bool {
        ip.0 & self.mask == self.base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling_does_not_matter() {
        assert_eq!(parse_ip(b"2001:db8::1"), parse_ip(b"2001:0db8:0:0:0:0:0:1"));
        assert_eq!(parse_ip(b"192.0.2.3"), Some(IpKey::v4(0xc000_0203)));
        assert_eq!(
            parse_ip(b"192.0.2.3").unwrap().to_addr().to_string(),
            "192.0.2.3"
        );
        assert_eq!(parse_ip(b"::ffff:192.0.2.3"), parse_ip(b"192.0.2.3"));
        for bad in [
            &b"-"[..],
            b"1.2.3",
            b"1.2.3.256",
            b"01.2.3.4",
            b"1..2.3",
            b"abc",
            b"1.2.3.4.5",
            b"::g",
        ] {
            assert_eq!(parse_ip(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn fast_v4_agrees_with_std() {
        for s in [
            "0.0.0.0",
            "255.255.255.255",
            "10.0.0.1",
            "1.2.3.04",
            "256.1.1.1",
            "1.2.3.",
            ".1.2.3",
        ] {
            let std = s.parse::<Ipv4Addr>().ok().map(u32::from);
            assert_eq!(parse_v4(s.as_bytes()), std, "{s}");
        }
    }

    fn std_v6(s: &str) -> Option<u128> {
        s.parse::<Ipv6Addr>().ok().map(u128::from)
    }

    #[test]
    fn fast_v6_agrees_with_std() {
        for s in [
            "::",
            "::1",
            "1::",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "2001:DB8::aB",
            "fe80::1:2",
            "0:0:0:0:0:0:0:0",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        ] {
            assert_eq!(parse_v6_fast(s.as_bytes()), std_v6(s), "{s}");
            assert!(std_v6(s).is_some(), "{s}");
        }
        // Refused or left to the standard library; never a different answer.
        for s in [
            ":",
            ":::",
            "1:::2",
            "1::2::3",
            ":1",
            "1:",
            "::1:",
            "12345::",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7:8::",
            "::1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7",
            "::ffff:1.2.3.4",
            "fe80::1%eth0",
            "g::1",
            "1: :2",
        ] {
            assert_eq!(parse_v6_fast(s.as_bytes()), None, "{s}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

        /// Whenever the fast path answers, the standard library agrees.
        #[test]
        fn fast_v4_never_disagrees(s in "[0-9.]{0,16}|[0-9]{1,3}\\.[0-9]{1,4}\\.[0-9]{1,3}\\.[0-9x]{1,3}") {
            let std = s.parse::<Ipv4Addr>().ok().map(u32::from);
            proptest::prop_assert_eq!(parse_v4(s.as_bytes()), std);
        }

        #[test]
        fn fast_v4_reads_every_address(a: u32) {
            proptest::prop_assert_eq!(parse_v4(Ipv4Addr::from(a).to_string().as_bytes()), Some(a));
        }

        #[test]
        fn fast_v6_never_disagrees(s in "[0-9a-fA-F:.g]{0,45}") {
            if let Some(v) = parse_v6_fast(s.as_bytes()) {
                proptest::prop_assert_eq!(Some(v), std_v6(&s));
            }
        }

        /// Every address in its short and its long spelling takes the fast path.
        #[test]
        fn fast_v6_reads_every_address(a: u128, run in 0u32..9, at in 0u32..8) {
            // A run of zero groups at some place, so that `::` appears anywhere.
            let len = run.min(8 - at);
            let mask = if len == 0 { 0 } else { (u128::MAX >> (128 - 16 * len)) << (16 * (8 - at - len)) };
            let a = a & !mask;
            let addr = Ipv6Addr::from(a);
            let short = addr.to_string();
            let long = addr.segments().iter().map(|g| format!("{g:04X}")).collect::<Vec<_>>().join(":");
            if !short.contains('.') {
                proptest::prop_assert_eq!(parse_v6_fast(short.as_bytes()), Some(a), "{}", short);
            }
            proptest::prop_assert_eq!(parse_v6_fast(long.as_bytes()), Some(a), "{}", long);
            proptest::prop_assert_eq!(parse_ip(short.as_bytes()), Some(IpKey(a)));
        }
    }

    #[test]
    fn cidr_ranges() {
        let c = Cidr::parse("192.0.2.0/24").unwrap();
        assert!(c.contains(parse_ip(b"192.0.2.200").unwrap()));
        assert!(!c.contains(parse_ip(b"192.0.3.1").unwrap()));
        assert!(!c.contains(parse_ip(b"2001:db8::1").unwrap()));
        let c6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(c6.contains(parse_ip(b"2001:db8:ffff::1").unwrap()));
        assert!(!c6.contains(parse_ip(b"192.0.2.1").unwrap()));
        let one = Cidr::parse("203.0.113.9").unwrap();
        assert!(one.contains(parse_ip(b"203.0.113.9").unwrap()));
        assert!(!one.contains(parse_ip(b"203.0.113.8").unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains(parse_ip(b"8.8.8.8").unwrap()));
        assert!(Cidr::parse("1.2.3.4/33").is_err());
        assert!(Cidr::parse("nonsense").is_err());
        assert_eq!(parse_ip(b"192.0.2.77").unwrap().network(), "192.0.2.0/24");
        assert_eq!(
            parse_ip(b"2001:db8:1:2::5").unwrap().network(),
            "2001:db8:1::/48"
        );
    }
}
