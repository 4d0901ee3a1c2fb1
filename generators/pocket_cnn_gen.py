#!/usr/bin/env python3
"""FuseSoC generator ``pocket_cnn_gen``: ONNX model -> VHDL network + a .core for it.

Thin over pocket_cnn.fusesoc.network_gen. FuseSoC runs ``python3 pocket_cnn_gen.py INPUT.yml``
in the output directory; ``python3`` is looked up on PATH, so run FuseSoC from the
environment where pocket-cnn is installed (e.g. ``source .venv/bin/activate``).
In a checkout the package next to this script is imported first, so the generated code
always matches the RTL of the core that declares the generator; an installed IP
(pocket_cnn/_ip) uses the installed package it belongs to.
"""

import sys
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1]
if (_CHECKOUT / "pocket_cnn" / "__init__.py").is_file():
    sys.path.insert(0, str(_CHECKOUT))

try:
    from pocket_cnn.fusesoc.network_gen import main
except ImportError as err:
    print(
        f"pocket-cnn: error: cannot import pocket_cnn ({err}); run FuseSoC from the "
        "environment where pocket-cnn is installed (e.g. source .venv/bin/activate)",
        file=sys.stderr,
    )
    sys.exit(2)

sys.exit(main(sys.argv[1:]))
