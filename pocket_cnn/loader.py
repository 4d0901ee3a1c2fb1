"""The one reading of a MODEL argument: an ONNX path, ``zoo:NAME[:SEED]`` or an IR network.

Every front end (the CLI, the FuseSoC generator, the API) turns what the user named into
a :class:`~pocket_cnn.ir.Network` here, so ``zoo:`` works everywhere a model does.
"""

from __future__ import annotations

from pathlib import Path

from pocket_cnn.ir import Network

#: Prefix of a built-in zoo model in a MODEL argument.
ZOO_PREFIX = "zoo:"


def load(model: str | Path | Network, files_root: str | Path | None = None) -> Network:
    """The network named by ``model``: an ONNX path (relative to ``files_root``, default the
    working directory), ``"zoo:NAME[:SEED]"`` for a built-in zoo model, or an IR network."""
    # imported here: onnx is slow to import, and a CLI start (--help) needs none of it
    from pocket_cnn.onnx_import import load_model
    from pocket_cnn.zoo import from_spec

    if isinstance(model, Network):
        return model
    text = str(model)
    if text.startswith(ZOO_PREFIX):
        return from_spec(text[len(ZOO_PREFIX) :])
    path = Path(text)
    if not path.is_absolute():
        path = Path(files_root or Path.cwd()) / path
    return load_model(path)
