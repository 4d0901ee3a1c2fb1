"""Benchmark: what the requantisation modes cost in logic (yosys, ECP5 and iCE40).

One float net (``zoo_conv3_max2`` of pocket_cnn/zoo/float_nets.py: conv 1->4 3x3,
max-pool, conv 4->8 1x1) quantized by onnxruntime in settings that give each mode:
MULT (one rounding, proven equal to onnxruntime: QDQ per tensor uint8) and EXACT
(onnxruntime's float32 steps in integers: QOperator per channel int8), beside the
zoo's power-of-two model of the same shape (SHIFT: no multiplier). ``ghdl --synth``,
then yosys ``synth_ecp5`` / ``synth_ice40 -dsp``; prints LUT/FF/DSP per model and
family at full parallelism and folded (1,1 per PE).
Usage: python benchmarks/bench_requant.py [--families ecp5 ice40] [--parallel full 1,1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pocket_cnn.emit.hw_view import conv_hw
from pocket_cnn.ip import build_root
from pocket_cnn.ir import Network
from pocket_cnn.ir.parallel import resolve_parallel
from pocket_cnn.onnx_import import from_onnx
from pocket_cnn.synth.netlist import synth_netlist
from pocket_cnn.synth.yosys import ECP5, ICE40, run_yosys, usage_from_cells
from pocket_cnn.zoo import build
from pocket_cnn.zoo.float_nets import FLOAT_NETS, calibration
from pocket_cnn.zoo.ort_quantize import MATRIX, quantize_setting

FAMILIES = {"ecp5": ECP5, "ice40": ICE40}


def models() -> dict[str, Network]:
    """The three models: power-of-two (zoo), MULT and EXACT (onnxruntime-quantized)."""
    out = {"pow2 (zoo conv_3x1_1x1_max_2x2)": build("conv_3x1_1x1_max_2x2")}
    for row in (0, 1):
        model = FLOAT_NETS["zoo_conv3_max2"](1)
        net = from_onnx(quantize_setting(model, calibration(model, 8, 0), MATRIX[row]))
        modes = "/".join(conv_hw(st, i == 0).mode.name for i, st in enumerate(net.stages))
        s = MATRIX[row]
        out[
            f"{s.form} {'per-channel' if s.per_channel else 'per-tensor'} "
            f"{s.activation_type} ({modes})"
        ] = net
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--families", nargs="+", default=["ecp5"], choices=sorted(FAMILIES))
    p.add_argument("--parallel", nargs="+", default=["full", "1,1"])
    p.add_argument("--build", type=Path, default=build_root() / "bench_requant")
    args = p.parse_args(argv)
    t0 = time.monotonic()
    rows = []
    for label, net in models().items():
        for par in args.parallel:
            spec = par if par == "full" else ";".join(par for _ in net.stages)
            work = args.build / f"{net.name}_{abs(hash(label)) % 10**6}_{par.replace(',', '_')}"
            work.mkdir(parents=True, exist_ok=True)
            print(f"[{time.monotonic() - t0:7.1f} s] {label} par {par}: ghdl --synth", flush=True)
            v = synth_netlist(net, work, parallel=resolve_parallel(net, spec), timeout=3600)
            for fam in args.families:
                print(f"[{time.monotonic() - t0:7.1f} s]   yosys {fam}", flush=True)
                _, cells = run_yosys(v, "pcnn_net", FAMILIES[fam], work, 3600)
                u = usage_from_cells(FAMILIES[fam], cells)
                rows.append((label, par, fam, u.lut, u.ff, u.dsp))
    print("\n| model | parallelism | family | LUT | FF | DSP |\n|---|---|---|---:|---:|---:|")
    for r in rows:
        print("| " + " | ".join(str(c) for c in r) + " |")
    print(f"\n{time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
