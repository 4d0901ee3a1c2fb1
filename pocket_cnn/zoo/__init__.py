"""The model zoo: the original pocket-cnn networks by name (``models``), seeded weight
and scale drawing (``draw``), random networks over every option (``random_nets``) and
the IR -> ONNX exporter in either form (``onnx_export``)."""

from pocket_cnn.zoo.draw import net_input
from pocket_cnn.zoo.models import ZOO, build, from_spec
from pocket_cnn.zoo.onnx_export import to_onnx
from pocket_cnn.zoo.random_nets import random_network

__all__ = ["ZOO", "build", "from_spec", "net_input", "random_network", "to_onnx"]
