"""ONNX import: a QOperator, QDQ or mixed quantized ONNX model -> the IR.

``model`` walks the graph and dispatches one handler per op (``conv``, ``qdq``,
``layers``); ``graph``, ``quant``, ``geometry`` and ``state`` are their helpers.
Every limit is checked here: bad input is one :class:`~pocket_cnn.errors.ModelError`.
"""

from pocket_cnn.onnx_import.model import from_onnx, load_model, read_onnx

__all__ = ["from_onnx", "load_model", "read_onnx"]
