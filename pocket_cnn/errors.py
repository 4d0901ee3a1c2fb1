"""The one error type for bad user input (models, inputs, files)."""

from __future__ import annotations


class ModelError(Exception):
    """Bad or unsupported input. The CLI prints ``str(err)`` on one line and exits 2.

    ``node`` names the ONNX node (or file) at fault, ``op`` its operator; the message
    says what is wrong and what to do.
    """

    def __init__(self, message: str, node: str | None = None, op: str | None = None) -> None:
        self.node = node
        self.op = op
        self.message = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.node is not None and self.op is not None:
            where = f"node '{self.node}' ({self.op}): "
        elif self.node is not None:
            where = f"'{self.node}': "
        return f"{where}{self.message}"
