#!/usr/bin/env bash
# Install the console's browser libraries from the npm registry (pinned in webhooks/assets/package-lock.json,
# integrity-checked by `npm ci`) and copy the files the pages load into webhooks/static/vendor/, which the app
# serves: nothing comes from a CDN at run time. Safe to run again: it reinstalls only when the lock changed.
# Needs Node.js and npm at build time only. To upgrade: edit package.json, `npm install --package-lock-only`
# in webhooks/assets, run this, look at the console in a browser, commit the lock.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
assets="$root/webhooks/assets"
vendor="$root/webhooks/static/vendor"
stamp="$vendor/.installed"
want="$(sha256sum "$assets/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "assets: npm is needed to install the console's charts and map (apt-get install nodejs npm)" >&2
  exit 1
fi
(cd "$assets" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
rm -rf "$vendor"
mkdir -p "$vendor/leaflet/images"
m="$assets/node_modules"
cp "$m/echarts/dist/echarts.min.js" "$vendor/"
cp "$m/htmx.org/dist/htmx.min.js" "$vendor/"
cp "$m/leaflet/dist/leaflet.js" "$m/leaflet/dist/leaflet.css" "$vendor/leaflet/"
cp "$m/leaflet/dist/images/"*.png "$vendor/leaflet/images/"
cp "$m/leaflet.markercluster/dist/leaflet.markercluster.js" "$m/leaflet.markercluster/dist/MarkerCluster.css" \
   "$m/leaflet.markercluster/dist/MarkerCluster.Default.css" "$vendor/leaflet/"
for f in echarts htmx.org leaflet leaflet.markercluster; do  # the licences travel with the files
  for name in LICENSE LICENSE.md MIT-LICENCE.txt; do
    if [ -f "$m/$f/$name" ]; then cp "$m/$f/$name" "$vendor/LICENSE.$f"; break; fi
  done
done
echo "$want" > "$stamp"
echo "assets: console libraries installed into webhooks/static/vendor" >&2
