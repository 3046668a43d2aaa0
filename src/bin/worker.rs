//! The page's Web Worker (see `s3logdrop::web::worker`). On native targets it is empty.
fn main() {
    #[cfg(target_arch = "wasm32")]
    s3logdrop::web::worker::start();
}
