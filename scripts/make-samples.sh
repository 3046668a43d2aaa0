#!/usr/bin/env bash
# Remakes the page's built-in sample logs (www/samples/sample-logs) with the project's own
# generator, and src/web/samples.rs, which embeds them in the page's wasm (so the "Try with
# sample logs" button makes no request). Usage: bash scripts/make-samples.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/s3logdrop
out=www/samples/sample-logs
rm -rf www/samples
$bin generate --out $out --bytes 640000 --files 24 --seed 7 --nasty 6 --mean-gap 9000 --clients 350 --gzip >/dev/null
$bin generate --out $out/plain --bytes 60000 --files 3 --seed 8 --nasty 10 --mean-gap 9000 --clients 100 >/dev/null
cp fixtures/own/not_a_log.csv $out/
{
  echo "// Made by scripts/make-samples.sh: the sample logs embedded in the page."
  echo "/// (name as the page reports it, bytes)"
  echo "pub const SAMPLES: &[(&str, &[u8])] = &["
  (cd www/samples && find . -type f | sed 's|^\./||' | LC_ALL=C sort) | while read -r f; do
    echo "    (\"$f\", include_bytes!(\"../../www/samples/$f\")),"
  done
  echo "];"
} > src/web/samples.rs
rustfmt --edition 2021 src/web/samples.rs
echo "samples: $(find www/samples -type f | wc -l) files, $(du -sh www/samples | cut -f1)"
