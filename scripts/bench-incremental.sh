#!/usr/bin/env bash
# What keeping counting saves: a year of small log files (8,760, one an hour), analysed
# whole, against the same year counted into a snapshot and one new day (24 files) added.
# Prints the seconds of each and the snapshot's size. Usage: bash scripts/bench-incremental.sh [MB]
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-300}
cargo build --release --quiet
bin=target/release/s3logdrop
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
lines=$((mb * 1000000 / 330))
gap=$((365 * 86400 / lines))
$bin generate --out "$work/all" --bytes $((mb * 1000000)) --files 8760 --mean-gap "$gap" --clients 50000 > /dev/null
mkdir -p "$work/year/logs"
ls "$work/all" | sort | head -n 8736 | while read -r f; do cp "$work/all/$f" "$work/year/logs/"; done
secs() { local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null; t1=$(date +%s.%N); printf "%.2f" "$(echo "$t1 - $t0" | bc)"; }
echo "a year: $(ls "$work/year/logs" | wc -l) files, $(du -sh "$work/year/logs" | cut -f1)"
echo "snapshot of the year made in $(secs $bin analyze "$work/year/logs" --out "$work/out-0" --snapshot "$work/year.s3ld") s ($(du -h "$work/year.s3ld" | cut -f1))"
ls "$work/all" | sort | tail -n 24 | while read -r f; do cp "$work/all/$f" "$work/year/logs/"; done
echo "one new day (24 files) added to the snapshot: $(secs $bin analyze "$work/year/logs" --out "$work/out-1" --snapshot "$work/year.s3ld") s"
echo "the whole year and the new day analysed from scratch: $(secs $bin analyze "$work/year/logs" --out "$work/out-2") s"
for f in downloads_per_month.csv downloads_per_dataset.csv top_objects.csv summary.json; do
  cmp -s "$work/out-1/$f" "$work/out-2/$f" || { echo "$f differs between the two" >&2; exit 1; }
done
echo "outputs identical"
