"""pocket-cnn: small quantized CNNs from ONNX to a streaming VHDL pipeline.

The public API (see :mod:`pocket_cnn.api`): :func:`load` a model, run the bit-exact
:func:`run_reference`, :func:`emit_vhdl`, :func:`simulate` in GHDL, :func:`generate_core`.
The subpackages follow the data flow: ``onnx_import`` -> ``ir`` -> ``reference`` /
``emit`` -> ``simulation`` / ``synth`` / ``boards`` -> ``fusesoc``; ``zoo`` holds test
models, ``cli`` the command line. Imports point downwards only (tests/test_layering.py).
"""

from pocket_cnn._version import __version__
from pocket_cnn.api import emit_vhdl, generate_core, load, run_reference, simulate
from pocket_cnn.errors import ModelError
from pocket_cnn.ir import Activation, ConvStage, GapStage, Network, PoolSpec

__all__ = [
    "Activation",
    "ConvStage",
    "GapStage",
    "ModelError",
    "Network",
    "PoolSpec",
    "__version__",
    "emit_vhdl",
    "generate_core",
    "load",
    "run_reference",
    "simulate",
]
