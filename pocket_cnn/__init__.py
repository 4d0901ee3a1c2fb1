"""pocket-cnn: small quantized CNNs from ONNX to a streaming VHDL pipeline."""

from pocket_cnn.errors import ModelError
from pocket_cnn.ir import Activation, ConvStage, GapStage, Network, PoolSpec

__all__ = ["Activation", "ConvStage", "GapStage", "ModelError", "Network", "PoolSpec"]
