"""Benchmark: ``fusesoc run --target=<board> pocket_cnn`` with other models than the
default, through the network generator's ``parallel: auto`` (issue 13: the iCEBreaker
target builds with any model).

For each model it copies the IP core's files (pocket_cnn.core, rtl/, generators/, boards/,
scripts/) into a fresh folder, points the board target's network generator at the
model (``zoo: NAME``, still ``parallel: auto`` with the board), and runs FuseSoC there
as a user would (a fusesoc.conf of its own, the copy added as a local library). The
bitstream is the whole board top (UART, FIFOs, status) around the network. Prints the
setting auto took, nextpnr's utilisation and fmax, and the build time per model, then a
markdown table.

Usage: python benchmarks/bench_fusesoc_board.py [--board icebreaker] [--models A B |
--all] [--build DIR]
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from pocket_cnn.ip import ROOT, build_root
from pocket_cnn.zoo import ZOO

#: What the copy of the IP core holds.
CORE_PARTS = ("pocket_cnn.core", "rtl", "generators", "boards", "scripts")
#: The board target's network generator line in pocket_cnn.core.
NET_LINE = re.compile(r"(- pcnn_board_net: \{zoo: )(\w+)(, parallel: auto, board: )(\w+)\}")
DEFAULT_MODELS = ("lenet_mnist8", "conv_4x3x1_1x1", "conv_2x_3x1_1x1_max_2x2_padding")


def core_copy(dst: Path, model: str, board: str) -> None:
    """The IP core's files under ``dst`` with ``board``'s target building ``model``."""
    dst.mkdir(parents=True)
    for part in CORE_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dst / part)
        else:
            shutil.copy2(src, dst / part)
    core = dst / "pocket_cnn.core"
    text = core.read_text()
    hits = [m for m in NET_LINE.finditer(text) if m[4] == board]
    if not hits:
        sys.exit(f"bench_fusesoc_board: no '{board}' target generating with parallel: auto")
    new = NET_LINE.sub(lambda m: f"{m[1]}{model}{m[3]}{m[4]}}}" if m[4] == board else m[0], text)
    core.write_text(new)


def fusesoc(base: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """FuseSoC with the configuration under ``base``, the venv's bin first on PATH."""
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("PYTHONPATH", None)
    env.pop("FUSESOC_CORES", None)
    return subprocess.run(
        [str(bindir / "fusesoc"), "--config", str(base / "fusesoc.conf"), *args],
        cwd=base,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_one(model: str, board: str, base: Path, timeout: float) -> dict[str, str]:
    """Build ``model``'s bitstream for ``board``; its figures (or the failure)."""
    base = base.resolve()
    shutil.rmtree(base, ignore_errors=True)
    lib = base / "lib"
    core_copy(lib, model, board)
    (base / "fusesoc.conf").write_text(
        f"[main]\ncache_root = {base / 'cache'}\nbuild_root = {base / 'build'}\n"
    )
    add = fusesoc(
        base, "library", "add", "--sync-type", "local", "pocket_cnn", str(lib), timeout=120
    )
    if add.returncode != 0:
        return {"model": model, "result": f"library add failed: {add.stderr.strip()[-200:]}"}
    t0 = time.perf_counter()
    proc = fusesoc(base, "run", "--clean", f"--target={board}", "pocket_cnn", timeout=timeout)
    seconds = time.perf_counter() - t0
    out = proc.stdout + proc.stderr
    setting = re.search(r"parallelism on \w+: (\S+)", out)
    row = {"model": model, "setting": setting[1] if setting else "?", "time": f"{seconds:.0f} s"}
    logs = list((base / "build").glob(f"*/{board}/next.log"))
    log = logs[0].read_text() if logs else ""
    util: dict[str, str] = dict(
        re.findall(
            r"^Info:\s+(ICESTORM_LC|ICESTORM_RAM|TRELLIS_COMB|DP16KD|MULT18X18D):"
            r"\s+(\d+/\s*\d+)",
            log,
            re.MULTILINE,
        )
    )
    row["cells"] = util.get("ICESTORM_LC", util.get("TRELLIS_COMB", "-")).replace(" ", "")
    row["bram"] = util.get("ICESTORM_RAM", util.get("DP16KD", "-")).replace(" ", "")
    freqs = re.findall(r"Max frequency for clock\s+'[^']+': ([\d.]+) MHz \((\w+)", log)
    row["fmax"] = ", ".join(f"{f} MHz ({r})" for f, r in freqs) if freqs else "-"
    bits = list((base / "build").glob(f"*/{board}/*.bin")) + list(
        (base / "build").glob(f"*/{board}/*.bit")
    )
    ok = proc.returncode == 0 and bits
    row["result"] = "bitstream" if ok else f"failed (exit {proc.returncode}): {out.strip()[-300:]}"
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="icebreaker")
    ap.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS))
    ap.add_argument("--all", action="store_true", help="every zoo model")
    ap.add_argument("--build", type=Path, default=build_root() / "bench_fusesoc_board")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per build")
    args = ap.parse_args()
    models = sorted(ZOO) if args.all else args.models
    rows = []
    t0 = time.perf_counter()
    for k, model in enumerate(models, 1):
        print(f"[{time.perf_counter() - t0:7.1f} s] {k}/{len(models)} {model} ...", flush=True)
        row = run_one(model, args.board, args.build / model, args.timeout)
        print(f"[{time.perf_counter() - t0:7.1f} s]   {row}", flush=True)
        rows.append(row)
    print(
        f"\n{args.board}, fusesoc run --target={args.board} with parallel: auto, "
        f"{datetime.date.today()}\n"
    )
    print("| model | auto setting | logic cells | block RAM | fmax | build | result |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['model']} | `{r.get('setting', '?')}` | {r.get('cells', '-')} | "
            f"{r.get('bram', '-')} | {r.get('fmax', '-')} | {r.get('time', '-')} | "
            f"{r['result'] if r['result'] == 'bitstream' else 'FAILED'} |"
        )
    failed = [r for r in rows if r["result"] != "bitstream"]
    for r in failed:
        print(f"{r['model']}: {r['result']}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
