//! What the address lookups cost: unpacking each built-in table (countries, networks,
//! cloud), and looking up 1 million distinct IPv4 and 1 million distinct IPv6 addresses
//! in each (the report looks each distinct user up once in each). `cargo bench --bench geo`.

use s3logdrop::geo::{Cloud, Countries, Networks};
use s3logdrop::ip::IpKey;
use std::hint::black_box;
use std::time::Instant;

/// A small xorshift: the same addresses at every run.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let n = if quick { 10_000 } else { 1_000_000 };
    let t = Instant::now();
    let table = Countries::from_packed(include_bytes!("../src/geo/countries.bin")).unwrap();
    let unpack = t.elapsed().as_secs_f64();
    let (r4, r6) = table.ranges();
    println!(
        "unpack the country table ({r4} IPv4, {r6} IPv6 ranges): {:.1} ms",
        unpack * 1e3
    );
    let t = Instant::now();
    let networks = Networks::from_packed(include_bytes!("../src/geo/networks.bin")).unwrap();
    let unpack = t.elapsed().as_secs_f64();
    let ((n4, n6), (a4, a6)) = networks.ranges();
    println!(
        "unpack the network table ({n4} IPv4, {n6} IPv6 ranges; AWS {a4}, {a6}): {:.1} ms",
        unpack * 1e3
    );
    let t = Instant::now();
    let cloud = Cloud::from_packed(include_bytes!("../src/geo/cloud.bin")).unwrap();
    let unpack = t.elapsed().as_secs_f64();
    let (c4, c6) = cloud.ranges();
    println!(
        "unpack the cloud table ({c4} IPv4, {c6} IPv6 ranges): {:.1} ms",
        unpack * 1e3
    );
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let v4: Vec<IpKey> = (0..n).map(|_| IpKey::v4(next(&mut seed) as u32)).collect();
    // IPv6 within /16s the registries have handed out (most of IPv6 is not).
    const FIRST: [u128; 12] = [
        0x2001, 0x2400, 0x2401, 0x2403, 0x2600, 0x2602, 0x2604, 0x2607, 0x2a00, 0x2a01, 0x2a02,
        0x2a05,
    ];
    let v6: Vec<IpKey> = (0..n)
        .map(|_| {
            let x = (next(&mut seed) as u128) << 64 | next(&mut seed) as u128;
            IpKey(FIRST[(x % 12) as usize] << 112 | x >> 16)
        })
        .collect();
    type Lookup<'a> = Box<dyn Fn(IpKey) -> bool + 'a>;
    let lookups: [(&str, Lookup); 4] = [
        ("country", Box::new(|ip| table.lookup(ip) != 0)),
        ("network", Box::new(|ip| networks.lookup(ip) != 0)),
        ("AWS range", Box::new(|ip| networks.aws(ip) != 0)),
        ("cloud provider", Box::new(|ip| cloud.lookup(ip) != 0)),
    ];
    for (what, lookup) in &lookups {
        for (family, ips) in [("IPv4", &v4), ("IPv6", &v6)] {
            let mut best = f64::INFINITY;
            let mut known = 0;
            for _ in 0..5 {
                let t = Instant::now();
                known = ips.iter().filter(|&&ip| black_box(lookup(ip))).count();
                best = best.min(t.elapsed().as_secs_f64());
            }
            println!(
                "{what}: {n} distinct {family} addresses: {:.1} ms, {:.0} ns each ({:.1}% with an answer)",
                best * 1e3,
                best * 1e9 / n as f64,
                100.0 * known as f64 / n as f64
            );
        }
    }
}
