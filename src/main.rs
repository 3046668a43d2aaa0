//! The native command-line tool: the automation path and the benchmark vehicle. It drives
//! the same session as the page's workers, so its results are the page's results. The
//! code is in `src/cli/`.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    std::process::exit(cli::main());
}
