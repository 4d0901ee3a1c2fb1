"""scikit-learn's bundled 8x8 digits (1,797 images, no download), split the same way
everywhere: a held-out test split, a training split and, inside the training split,
the calibration images the quantizer sees. Images as float32 (N, 1, H, W) in [0, 1];
``size=28`` gives them scaled x3 (nearest) and padded to 28x28 for the LeNet-shaped net.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: share of the images held out for the accuracy table
TEST_SHARE = 0.2
#: calibration images (taken from the training split)
N_CALIB = 200
SEED = 0


@dataclass(frozen=True)
class Split:
    """Images (N, 1, H, W) float32 in [0, 1] and labels (N,) int64."""

    x: np.ndarray
    y: np.ndarray


def _images(size: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # type: ignore[import-untyped]

    data = load_digits()
    x = (data.images / 16.0).astype(np.float32)[:, None]  # (N, 1, 8, 8)
    if size == 28:
        x = np.kron(x, np.ones((1, 1, 3, 3), np.float32))  # 24x24
        x = np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)))
    elif size != 8:
        raise ValueError(f"size {size}: use 8 or 28")
    return x, data.target.astype(np.int64)


def splits(size: int) -> tuple[Split, Split, Split]:
    """(train, calibration, test) for images of ``size`` (8 or 28)."""
    x, y = _images(size)
    order = np.random.default_rng(SEED).permutation(len(x))
    n_test = round(TEST_SHARE * len(x))
    test, train = order[:n_test], order[n_test:]
    calib = train[:N_CALIB]
    return Split(x[train], y[train]), Split(x[calib], y[calib]), Split(x[test], y[test])
