"""Shared pytest fixtures and markers for pocket-cnn tests.

The scaffolding itself lives in tests/_support (not a test module):

- ``@pytest.mark.requires_tools("ghdl", ...)``: skip the test when a tool is missing,
  fail it instead when the environment variable ``CI`` is set (_support/tools.py);
- ``fusesoc``: a private FuseSoC setup in tmp_path with the checkout added
  (_support/fusesoc.py);
- ``make_input``: seeded random input images for a network.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from _support.fusesoc import FuseSoC
from _support.tools import require_tools

from pocket_cnn.ir import Network
from pocket_cnn.zoo.draw import net_input


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "requires_tools(*names): needs these executables; skipped without them, "
        "failed without them when CI is set",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Check the ``requires_tools`` markers before any fixture (module ones too) runs."""
    for marker in item.iter_markers("requires_tools"):
        require_tools(*marker.args)


@pytest.fixture
def make_input() -> Callable[[Network, int, int], np.ndarray]:
    """Factory ``make_input(net, n, seed)``: n seeded random input images of the right dtype."""
    return net_input


@pytest.fixture
def fusesoc(tmp_path: Path) -> FuseSoC:
    """FuseSoC with its own config, cache and build trees in tmp_path; checkout added."""
    return FuseSoC(tmp_path)
