#!/usr/bin/env bash
# Rebuilds the country table built into s3logdrop (src/geo/countries.bin) from the npm
# packages pinned in package.json. For newer data: bash scripts/update-geo.sh latest
# (installs the newest @ip-location-db/geo-whois-asn-country, pins it, repacks).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != "" ]; then
  npm install --save-dev --save-exact "@ip-location-db/geo-whois-asn-country@$1"
fi
[ -d node_modules/@ip-location-db/geo-whois-asn-country ] || npm ci
cargo run --release --quiet --example pack_geo -- \
  node_modules/@ip-location-db/geo-whois-asn-country \
  node_modules/i18n-iso-countries \
  src/geo/countries.bin
