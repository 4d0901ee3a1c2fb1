"""Wall time of the reference on conv_2x_3x1_1x1_max_2x2_mt for 100 images (target < 2 s).

Run: .venv/bin/python benchmarks/bench_reference.py [--images N] [--repeat R]
"""

from __future__ import annotations

import argparse
import time

from pocket_cnn import reference, zoo
from pocket_cnn.zoo.draw import net_input

MODEL = "conv_2x_3x1_1x1_max_2x2_mt"
TARGET_S = 2.0


def main() -> None:
    """Time ``reference.run`` on one batch and print the best of a few runs."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--images", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    net = zoo.build(MODEL)
    x = net_input(net, args.images, seed=1)
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        reference.run(net, x)
        best = min(best, time.perf_counter() - t0)
    macs = sum(st.macs for st in net.stages) * args.images
    verdict = "OK" if best < TARGET_S else "SLOW"
    print(
        f"{MODEL}: {args.images} images in {best:.3f} s "
        f"({best / args.images * 1e3:.2f} ms/image, {macs / best / 1e6:.0f} MMAC/s) "
        f"[target < {TARGET_S} s: {verdict}]"
    )


if __name__ == "__main__":
    main()
