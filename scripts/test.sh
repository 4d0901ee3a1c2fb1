#!/usr/bin/env bash
# The test command: set up (if needed), lint (ruff), types (mypy), VHDL style (vsg),
# VHDL tests (VUnit), Python tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# --synth: the tests build bitstreams and synthesise (yosys, nextpnr, icestorm, YoWASP ECP5)
bash scripts/setup.sh --synth
# shellcheck disable=SC1091
source .venv/bin/activate
echo "== ruff"
ruff check .
ruff format --check .
echo "== mypy"
mypy
echo "== vsg (VHDL style, vsg.yaml)"
# Every VHDL file of the core and the testbenches (globs, so a new file is linted
# without being listed anywhere) and the network top generated from the default model.
rm -rf build/vsg_top
pocket-cnn generate zoo:conv_3x1_1x1_max_2x2 -o build/vsg_top >/dev/null
shopt -s globstar
vhdl=(rtl/**/*.vhd sim/tb/*.vhd sim/models/*.vhd build/vsg_top/*.vhd)
vsg -c vsg.yaml -of syntastic -f "${vhdl[@]}"
echo "vsg: ${#vhdl[@]} files clean"
if [ -f sim/run.py ]; then
  echo "== VUnit (GHDL)"
  python sim/run.py --num-threads 2 --output-path build/vunit_out "$@"
fi
echo "== pytest"
pytest -n 2 --durations=25 tests
