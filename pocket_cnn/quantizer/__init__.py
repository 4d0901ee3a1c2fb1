"""Post-training quantisation of float ONNX CNNs into the form the hardware takes
(``pocket-cnn quantize``): onnxruntime's quantizer does the work (pre-processing with
BatchNormalization folding, calibration, QDQ writing) with settings that fit the
hardware; :mod:`.pow2` turns every scale into a power of two for the shift-only
hardware; :mod:`.report` tells per layer what the quantisation did."""

from pocket_cnn.quantizer.ptq import QuantOptions, qoperator_translation, quantize_float
from pocket_cnn.quantizer.report import LayerRow, QuantReport, quant_report

__all__ = [
    "LayerRow",
    "QuantOptions",
    "QuantReport",
    "qoperator_translation",
    "quant_report",
    "quantize_float",
]
