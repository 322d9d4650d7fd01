#!/bin/sh
# Re-fetch the terminal's MQTT client (mqtt.js browser bundle) from the npm registry with npm.
# Usage: seaLink/terminal/tools/fetch_mqtt_js.sh [VERSION]   (default: the version in use)
# Writes ../static/vendor/mqtt/mqtt.min.js and LICENSE.md; update the version in the README there.
set -eu
VERSION="${1:-5.16.0}"
HERE="$(cd "$(dirname "$0")" && pwd)"
DEST="$HERE/../static/vendor/mqtt"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH"
npm pack --silent "mqtt@$VERSION" >/dev/null
tar xzf "mqtt-$VERSION.tgz"
# The min bundle is self-contained (no imports) and defines the global `mqtt`.
cp package/dist/mqtt.min.js "$DEST/mqtt.min.js"
cp package/LICENSE.md "$DEST/LICENSE.md"
sha256sum "$DEST/mqtt.min.js"
echo "mqtt@$VERSION -> $DEST"
