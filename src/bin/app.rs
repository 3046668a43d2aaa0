//! The page's main-thread program: the engine's API for the page's script (see
//! `s3logdrop::web::app`). On native targets it is empty.
#[cfg(target_arch = "wasm32")]
pub use s3logdrop::web::app::*;

fn main() {
    // The country and network tables and the map live in this program only (the workers make no
    // report; they carry the small cloud table, for the "exclude cloud" setting).
    #[cfg(target_arch = "wasm32")]
    s3logdrop::geo::provide(
        include_bytes!("../geo/countries.bin"),
        include_bytes!("../geo/networks.bin"),
        include_bytes!("../geo/map.bin"),
    );
}
