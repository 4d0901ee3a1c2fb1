#!/usr/bin/env bash
# Run the example SoC's sim target the way a user would: make the model, add the
# pocket-cnn checkout as a FuseSoC library, run. Everything goes to build/ here.
# Usage: examples/soc/run.sh [ZOO_MODEL]   (after scripts/setup.sh)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
# shellcheck disable=SC1091
source ../../.venv/bin/activate  # python3 for the generator
mkdir -p build
touch build/FUSESOC_IGNORE        # generated cores in build/cache are not library cores
pocket-cnn zoo "${1:-conv_3x1_1x1_max_2x2_odd_channel}" -o build/model.onnx
conf=build/fusesoc.conf
if ! grep -q '^\[library.pocket_cnn\]' "$conf" 2>/dev/null; then
  printf '[main]\ncache_root = cache\nbuild_root = out\n' > "$conf"
  fusesoc --config "$conf" library add --sync-type local pocket_cnn ../.. >/dev/null 2>&1
fi
fusesoc --config "$conf" run --target=sim example:soc:cnn_soc
