"""Shared pytest fixtures for pocket-cnn tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from pocket_cnn.ir import Network
from pocket_cnn.zoo.draw import net_input


@pytest.fixture
def make_input() -> Callable[[Network, int, int], np.ndarray]:
    """Factory ``make_input(net, n, seed)``: n seeded random input images of the right dtype."""
    return net_input
