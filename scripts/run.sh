#!/usr/bin/env bash
# The main job: set up (if needed), then simulate the default model through FuseSoC:
#   fusesoc run --target=sim pocket_cnn
# streams seeded images through the generated VHDL network in GHDL, checks every
# output word against the Python reference and prints PASS (or the first mismatch,
# exit code non-zero) and the steady-state cycles per image against the bound.
# FuseSoC's config is ./fusesoc.conf; its generator cache and build trees live under
# build/ (no state shared through $HOME); the script is idempotent. Extra arguments go to `fusesoc run`
# (e.g. --target=sim_leaky).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
# shellcheck disable=SC1091
source .venv/bin/activate  # the generator's python3 comes from PATH

mkdir -p build
# build/ holds generated cores (generator cache, `pocket-cnn generate` output):
# keep FuseSoC's library scan out of it and out of the venv.
touch build/FUSESOC_IGNORE
[ -d .venv ] && touch .venv/FUSESOC_IGNORE

# A fresh config every run (cheap), so a moved checkout is picked up. It lives in the
# checkout's root (git-ignored) because FuseSoC reads ./fusesoc.conf: once set up,
# `fusesoc run --target=sim pocket_cnn` alone works from here too.
conf=fusesoc.conf
printf '[main]\ncache_root = %s\nbuild_root = %s\n' "$root/build/fusesoc_cache" "$root/build/fusesoc_build" > "$conf"
fusesoc --config "$conf" library add --sync-type local pocket_cnn "$root" >/dev/null 2>&1

# The generator cache key does not cover the pocket_cnn library itself: start clean
# so the run always reflects the current emitter and reference.
rm -rf build/fusesoc_cache/generator_cache

target=--target=sim
for arg in "$@"; do
  case "$arg" in --target=*) target="" ;; esac
done
log=build/run_sim.log
set +e
fusesoc --config "$conf" run --clean $target "$@" pocket_cnn 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -eq 0 ] && grep -q 'pcnn_tb_net: PASS' "$log"; then
  echo "run.sh: PASS ($(grep -o 'steady-state [0-9-]* cycles/image, bound [0-9]*' "$log" | tail -1))"
else
  echo "run.sh: FAIL (see $log)" >&2
  exit 1
fi
