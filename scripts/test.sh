#!/usr/bin/env bash
# The test command: set up (if needed), lint (ruff), types (mypy), VHDL tests (VUnit),
# Python tests.
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
if [ -f sim/run.py ]; then
  echo "== VUnit (GHDL)"
  python sim/run.py --num-threads 2 --output-path build/vunit_out "$@"
fi
echo "== pytest"
pytest -n 2 tests
