"""VHDL emission from the IR: configuration package, network top, legacy wrapper."""

from pocket_cnn.vhdl.emit import emit

__all__ = ["emit"]
