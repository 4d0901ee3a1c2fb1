#!/usr/bin/env bash
# The main job: set up (if needed), then simulate the default model through FuseSoC.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
# shellcheck disable=SC1091
source .venv/bin/activate
mkdir -p build
pocket-cnn zoo conv_2x_3x1_1x1_max_2x2_mt -o build/default.onnx
pocket-cnn check build/default.onnx
python -c "import numpy as np; np.save('build/default_in.npy', np.random.default_rng(0).integers(0, 256, (4, 1, 24, 48), dtype=np.uint8))"
pocket-cnn reference build/default.onnx build/default_in.npy -o build/default_out.npy
