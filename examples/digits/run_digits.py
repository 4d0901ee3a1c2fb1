"""The digits example end to end, one command per net: quantize the trained float net
on the calibration split, generate the hardware, simulate the whole held-out split in
GHDL and write the accuracy table and a confusion-matrix picture.

Per net, the table has: float accuracy (onnxruntime), quantized accuracy (onnxruntime's
integer kernels on the quantized model in QOperator form, the numeric contract),
hardware accuracy (GHDL simulation of the generated VHDL), images whose hardware output
is bit-identical to the reference (must be all), cycles per image against the input
bound. ``--synth BOARD`` adds LUT/FF/BRAM/DSP, fmax and images/s at the board clock
from ``pocket-cnn synth`` (minutes to hours for the LeNet-shaped net); with ``--parallel
auto`` each board gets the setting ``pocket-cnn synth --board`` takes (within its
device), and its images/s come from that setting's clocks per image.

``--argmax``: the hardware ends with the class index (pcnn_argmax, one byte per image,
what a board answers): the hardware accuracy is then that byte against the label, and
bit-identical means equal to the reference's argmax. ``--engine verilator``: simulate the
``ghdl --synth`` netlist in Verilator instead of GHDL.

Usage: python examples/digits/run_digits.py [--net small_cnn|lenet] [--images N]
[--parallel P] [--argmax] [--engine ghdl|verilator] [--synth icebreaker ulx3s] [--out DIR]
Writes DIR/<net>/results.md, results.json and confusion.png (default
build/examples/digits).
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import onnx

from pocket_cnn.ir import Network

sys.path.insert(0, str(Path(__file__).resolve().parent))
from digits_data import splits

HERE = Path(__file__).resolve().parent
SIZES = {"small_cnn": 8, "lenet": 28}


def png(matrix: np.ndarray, path: Path, cell: int = 24) -> None:
    """The confusion matrix as a heat map (rows: true digit, columns: predicted; dark =
    many), with a 1-pixel grid; a plain PNG written with zlib."""
    n = matrix.shape[0]
    frac = matrix / max(int(matrix.sum(axis=1).max()), 1)
    side = n * cell + 1
    img = np.full((side, side, 3), 255, np.uint8)
    for r in range(n):
        for c in range(n):
            v = int(255 * (1 - frac[r, c]) ** 0.5)
            color = (v, v, 255) if r == c else (255, v, v)
            img[r * cell + 1 : (r + 1) * cell, c * cell + 1 : (c + 1) * cell] = color
    img[::cell, :] = 128
    img[:, ::cell] = 128
    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(side))

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    head = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(raw, 9))
    path.write_bytes(data + chunk(b"IEND", b""))


def _float_logits(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    from pocket_cnn.reference.oracle import session

    sess = session(model)
    return np.concatenate([sess.run(None, {"input": x[i : i + 1]})[0] for i in range(len(x))])


def _ort_words(net: Network, model: onnx.ModelProto, words: np.ndarray) -> np.ndarray:
    from pocket_cnn.reference.oracle import run_ort

    return np.concatenate([run_ort(net, model, words[i : i + 1]) for i in range(len(words))])


def run(
    name: str,
    images: int | None,
    parallel: str,
    boards: list[str],
    out: Path,
    argmax: bool = False,
    engine: str = "ghdl",
) -> dict:
    """The whole example for net ``name``; returns the results (also written to ``out``)."""
    from pocket_cnn import api
    from pocket_cnn.onnx_import import from_onnx
    from pocket_cnn.onnx_import.fc import quantize_constant
    from pocket_cnn.quantizer import QuantOptions, qoperator_translation, quantize_float

    t0 = time.monotonic()

    def say(text: str) -> None:
        print(f"[{time.monotonic() - t0:7.1f} s] {name}: {text}", flush=True)

    _, calib, test = splits(SIZES[name])
    x, y = (test.x, test.y) if images is None else (test.x[:images], test.y[:images])
    float_model = onnx.load(HERE / "models" / f"{name}.onnx")
    say(f"quantizing on {len(calib.x)} calibration images")
    opts = QuantOptions()
    q = quantize_float(float_model, calib.x, opts)
    qop = qoperator_translation(float_model, calib.x, opts)
    net, net_op = from_onnx(q), from_onnx(qop)
    words = quantize_constant(x, net.input_q)
    float_acc = float(np.mean(_float_logits(float_model, x).argmax(1) == y))
    quant_pred = _ort_words(net_op, qop, words).reshape(len(x), -1).argmax(1)
    quant_acc = float(np.mean(quant_pred == y))
    say(f"float {100 * float_acc:.1f} %, quantized {100 * quant_acc:.1f} %; GHDL on {len(x)}")

    def progress(done: int, total: int) -> None:
        say(f"simulated {done}/{total} images")

    sim = api.simulate(
        net, words, parallel=parallel, progress=progress, engine=engine, argmax=argmax
    )
    hw = np.asarray(sim.outputs).reshape(len(x), -1).astype(np.int64)
    ref = np.asarray(api.run_reference(net, words, argmax=argmax))
    ref = ref.reshape(len(x), -1).astype(np.int64)
    identical = int(np.sum(np.all(hw == ref, axis=1)))
    hw_pred = hw[:, 0] if argmax else hw.argmax(1)  # the board's byte is the class
    hw_acc = float(np.mean(hw_pred == y))
    confusion = np.zeros((10, 10), np.int64)
    np.add.at(confusion, (y, hw_pred), 1)
    res: dict = {
        "net": name,
        "images": len(x),
        "float_accuracy": float_acc,
        "quantized_accuracy": quant_acc,
        "hardware_accuracy": hw_acc,
        "bit_identical": identical,
        "cycles_per_image": sim.steady,
        "bound": sim.bound,
        "parallel": parallel,
        "argmax": argmax,
        "engine": engine,
        "confusion": confusion.tolist(),
        "boards": {},
    }
    for board in boards:
        hw_net = net.with_argmax() if argmax else net
        res["boards"][board] = _synth(hw_net, parallel, board, out / name)
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    png(confusion, folder / "confusion.png")
    (folder / "results.json").write_text(json.dumps(res, indent=2) + "\n")
    (folder / "results.md").write_text(table([res]) + "\n")
    say(f"wrote {folder}/results.md, results.json, confusion.png")
    return res


def _synth(net: Network, parallel: str, board: str, work: Path) -> dict:
    """LUT/FF/BRAM/DSP, fmax and images/s of the net on ``board`` (pocket-cnn synth).

    The setting is resolved as ``pocket-cnn synth --board`` resolves it: ``auto`` within
    the board's device (so the figures are of the setting that fits), its clocks per
    image from the cycle model (equal to the simulated steady state, tests/test_cycles.py).
    """
    from pocket_cnn.boards.auto_target import auto_target
    from pocket_cnn.boards.spec import board_file, load_board
    from pocket_cnn.ip import ROOT
    from pocket_cnn.ir.cycles import cycle_report
    from pocket_cnn.ir.parallel import resolve_parallel
    from pocket_cnn.synth.pipeline import synthesize

    spec = load_board(board_file(ROOT / "boards", board))
    par = resolve_parallel(net, parallel, auto_target(spec, None))
    if par.note:
        print(f"{board}: {par.note}", flush=True)
    cycles = cycle_report(net, par.triples(net)).steady
    rep = synthesize(net, spec, work / f"synth_{board}", par, 7200)
    use = rep.placed if rep.placed is not None else rep.synthesised

    def count(key: str) -> int | None:
        # nextpnr's iCE40 report counts logic cells only: FFs come from yosys there
        for source in (use, rep.synthesised):
            value = None if source is None else source.get(key)
            if value is not None:
                return value
        return None

    fmax = None if rep.pnr is None else rep.pnr.fmax_mhz
    return {
        "parallel": str(par),
        "cycles_per_image": cycles,
        "lut": count("lut"),
        "ff": count("ff"),
        "bram": count("bram"),
        "dsp": count("dsp"),
        "fmax_mhz": fmax,
        "clock_mhz": spec.clock.hz / 1e6,
        "fits": rep.fits,
    }


def table(rows: list[dict]) -> str:
    """The markdown accuracy table (and board figures where measured)."""
    out = [
        "| net | images | float | quantized | hardware | bit-identical | cycles/image (bound) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r['net']} | {r['images']} | {100 * r['float_accuracy']:.1f} % | "
            f"{100 * r['quantized_accuracy']:.1f} % | {100 * r['hardware_accuracy']:.1f} % | "
            f"{r['bit_identical']}/{r['images']} | {r['cycles_per_image']} ({r['bound']}) |"
        )
    boards = [(r["net"], b, v) for r in rows for b, v in r["boards"].items()]
    if boards:
        out += [
            "",
            "| net | board | parallel | cycles/image | LUT | FF | BRAM | DSP | fits | fmax "
            "| images/s |",
        ]
        out.append("|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|")
        for net, b, v in boards:
            mhz = min(v["fmax_mhz"] or 0.0, v["clock_mhz"])
            cyc = v["cycles_per_image"]
            rate = f"{mhz * 1e6 / cyc:.0f}" if cyc and mhz else "-"
            fits = "yes" if v["fits"] else "no"
            fmax = "-" if v["fmax_mhz"] is None else f"{v['fmax_mhz']:.1f} MHz"
            out.append(
                f"| {net} | {b} | {v['parallel']} | {cyc} | {v['lut']} | {v['ff']} | "
                f"{v['bram']} | {v['dsp']} | {fits} | {fmax} | {rate} |"
            )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--net", choices=sorted(SIZES), nargs="+", default=sorted(SIZES))
    p.add_argument("--images", type=int, default=None, help="first N held-out images only")
    p.add_argument(
        "--parallel",
        default="full",
        help="'full', 'auto' or 'PIN,POUT;...' per PE; with --synth, auto is resolved per "
        "board within its device (as pocket-cnn synth --board does)",
    )
    p.add_argument("--argmax", action="store_true", help="the hardware gives the class")
    p.add_argument("--engine", choices=["ghdl", "verilator"], default="ghdl")
    p.add_argument("--synth", nargs="*", default=[], metavar="BOARD", help="boards to build")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    from pocket_cnn.ip import build_root

    out = args.out or build_root() / "examples" / "digits"
    rows = [
        run(n, args.images, args.parallel, args.synth, out, args.argmax, args.engine)
        for n in args.net
    ]
    print()
    print(table(rows))
    bad = [r["net"] for r in rows if r["bit_identical"] != r["images"]]
    if bad:
        print(f"hardware differs from the reference on {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
