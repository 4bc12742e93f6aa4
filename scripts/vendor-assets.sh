#!/usr/bin/env bash
# Vendor compiled front-end assets into static/vendor/ (docs/adr/0003-vendoring-nhsuk-frontend.md).
# Versions are pinned in package.json; run with `make vendor` and commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
build=.npm-build
rm -rf "$build" && mkdir -p "$build"
cp package.json "$build/"
(cd "$build" && npm install --no-audit --no-fund --silent)

nhs="$build/node_modules/nhsuk-frontend/dist/nhsuk"
out=static/vendor/nhsuk-frontend
rm -rf "$out" && mkdir -p "$out/assets"
version=$(node -p "require('./$build/node_modules/nhsuk-frontend/package.json').version")
# The CSS asks for its icons at /assets/ and for the Frutiger web font on
# assets.nhs.uk. Point the icons at our copy (relative to the CSS file) and
# drop the remote @font-face rules: the app makes no request off its own host
# and falls back to Arial, as NHS.UK frontend itself specifies.
sed -e 's#url(/assets/#url(assets/#g' \
    -e 's#@font-face{[^}]*assets\.nhs\.uk[^}]*}##g' \
    "$nhs/nhsuk-frontend.min.css" > "$out/nhsuk-frontend.min.css"
# Source maps are not vendored: drop the comments that point to them.
sed -e 's#//\# sourceMappingURL=.*##' "$nhs/nhsuk-frontend.min.js" > "$out/nhsuk-frontend.min.js"
sed -i -e 's#/\*\# sourceMappingURL=[^*]*\*/##' "$out/nhsuk-frontend.min.css"
cp -r "$nhs/assets/images" "$out/assets/"
echo "$version" > "$out/VERSION"
cp "$build/node_modules/nhsuk-frontend/"LICEN[CS]E* "$out/" 2>/dev/null || echo "MIT licence: https://github.com/nhsuk/nhsuk-frontend (see package.json of the package)" > "$out/LICENCE.txt"

mc="$build/node_modules/leaflet.markercluster"
out=static/vendor/leaflet.markercluster
rm -rf "$out" && mkdir -p "$out"
cp "$mc/dist/leaflet.markercluster.js" "$mc/dist/MarkerCluster.css" "$mc/dist/MarkerCluster.Default.css" "$out/"
# Its source map is not vendored: drop the comment that points to it (collectstatic's
# manifest storage fails on a reference to a missing file).
sed -i -e 's#//\# sourceMappingURL=.*##' "$out/leaflet.markercluster.js"
cp "$mc/MIT-LICENCE.txt" "$out/" 2>/dev/null || cp "$mc"/LICEN* "$out/" 2>/dev/null || true
node -p "require('./$mc/package.json').version" > "$out/VERSION"
rm -rf "$build"
echo "Vendored nhsuk-frontend $version and leaflet.markercluster $(cat "$out/VERSION") into static/vendor/."
