//! Where an address is: an IP → country table shipped inside the program and the page,
//! so that no address is ever sent anywhere to be looked up.
//!
//! The table is `countries.bin`, made by `scripts/update-geo.sh` from the npm package
//! `@ip-location-db/geo-whois-asn-country` (the five Regional Internet Registries' data,
//! CC BY 4.0, NRO) and the country names of `i18n-iso-countries` (MIT). Packed, it is the
//! sorted starts of the address ranges (IPv4 and IPv6 apart), each with a country number
//! (0: no country), written as the gaps between starts (postcard varints), deflated. An
//! address belongs to the last range that starts at or before it.

use crate::ip::IpKey;
use ranges::Ranges;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::sync::OnceLock;

/// The packed tables built into the program (see the module's text): countries,
/// networks, and the world map.
type Packs = (&'static [u8], &'static [u8], &'static [u8]);

#[cfg(not(target_arch = "wasm32"))]
static BUILTIN: Packs = (
    include_bytes!("countries.bin"),
    include_bytes!("networks.bin"),
    include_bytes!("map.bin"),
);

/// In the page, the packed country and network tables and the map, handed over by the
/// page's main program at start (`src/bin/app.rs`): the workers' program, which makes no
/// report, does not carry them.
#[cfg(target_arch = "wasm32")]
static PROVIDED: OnceLock<Packs> = OnceLock::new();

/// Hands the packed country and network tables and the map to [`Countries::builtin`],
/// [`Networks::builtin`] and [`WorldMap::builtin`] (in the page; the first ones given
/// stay).
#[cfg(target_arch = "wasm32")]
pub fn provide(countries: &'static [u8], networks: &'static [u8], map: &'static [u8]) {
    let _ = PROVIDED.set((countries, networks, map));
}

fn builtin_bytes() -> Packs {
    #[cfg(not(target_arch = "wasm32"))]
    return BUILTIN;
    #[cfg(target_arch = "wasm32")]
    return PROVIDED.get().copied().unwrap_or_default();
}

/// A packed table read back: inflated (at most 64 MiB) and decoded; `what` names it in
/// the error.
fn unpack<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, String> {
    let mut raw = Vec::new();
    flate2::read::DeflateDecoder::new(bytes)
        .take(64 << 20)
        .read_to_end(&mut raw)
        .map_err(|e| format!("{what} is damaged: {e}"))?;
    postcard::from_bytes(&raw).map_err(|e| format!("{what} is damaged: {e}"))
}

/// The packed form's version: [`Countries::from_packed`] refuses any other.
const FORMAT: u32 = 1;

/// Where a table's data comes from, shown with every country figure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The data's name and version, e.g. `@ip-location-db/geo-whois-asn-country 2.3.2026061719`.
    pub name: String,
    /// The day the data was made (`YYYY-MM-DD`).
    pub date: String,
    /// Its licence and to whom the credit goes, in one line.
    pub licence: String,
}

/// A country's number in a table: 0 is "no country known".
pub type CountryId = u8;

/// An IP → country table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Countries {
    source: Source,
    /// Two-letter codes by number; number 0 is "" (unknown).
    codes: Vec<String>,
    /// English names by number; number 0 is "Unknown".
    names: Vec<String>,
    ranges: Ranges<CountryId>,
}

/// The packed form, before deflate.
#[derive(Serialize, Deserialize)]
struct Packed {
    format: u32,
    source: Source,
    codes: Vec<String>,
    names: Vec<String>,
    v4_gaps: Vec<u32>,
    v4_ids: Vec<CountryId>,
    v6_gaps: Vec<u128>,
    v6_ids: Vec<CountryId>,
}

impl Countries {
    /// The table built into the program, unpacked on first use.
    pub fn builtin() -> &'static Countries {
        static TABLE: OnceLock<Countries> = OnceLock::new();
        TABLE.get_or_init(|| {
            Countries::from_packed(builtin_bytes().0).expect("the built-in country table unpacks")
        })
    }

    /// The country of an address: its number, 0 when no range holds it.
    #[inline]
    pub fn lookup(&self, ip: IpKey) -> CountryId {
        self.ranges.lookup(ip)
    }

    /// The two-letter code of a country number (`""` for 0).
    pub fn code(&self, id: CountryId) -> &str {
        &self.codes[id as usize]
    }

    /// The English name of a country number (`"Unknown"` for 0).
    pub fn name(&self, id: CountryId) -> &str {
        &self.names[id as usize]
    }

    /// Where the data comes from.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// How many ranges (with the gaps between them) each family has: (IPv4, IPv6).
    pub fn ranges(&self) -> (usize, usize) {
        self.ranges.len()
    }

    /// Reads a packed table (see the module's text), checking everything a lookup relies
    /// on: starts in increasing order, known country numbers.
    pub fn from_packed(bytes: &[u8]) -> Result<Countries, String> {
        let p: Packed = unpack(bytes, "the country table")?;
        if p.format != FORMAT {
            return Err(format!(
                "country table format {} (this program reads {FORMAT})",
                p.format
            ));
        }
        if p.codes.len() != p.names.len()
            || p.codes.first().map(String::as_str) != Some("")
            || p.codes.len() > 256
        {
            return Err("the country table's codes and names do not match".into());
        }
        let n = p.codes.len();
        let ranges = Ranges::from_gaps(
            "the country table",
            (&p.v4_gaps, p.v4_ids),
            (&p.v6_gaps, p.v6_ids),
            |i| (i as usize) < n,
        )?;
        Ok(Countries {
            source: p.source,
            codes: p.codes,
            names: p.names,
            ranges,
        })
    }
}

pub mod cloud;
pub mod map;
pub mod networks;
#[cfg(not(target_arch = "wasm32"))]
pub mod pack;
#[cfg(not(target_arch = "wasm32"))]
pub mod pack_map;
#[cfg(not(target_arch = "wasm32"))]
pub mod pack_networks;
pub mod ranges;
pub mod tally;

pub use cloud::Cloud;
pub use map::WorldMap;
pub use networks::Networks;
