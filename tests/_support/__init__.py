"""Shared test scaffolding: not a test module (pytest collects nothing here).

``tests/conftest.py`` wires it into pytest (the ``requires_tools`` marker, the ``fusesoc``
fixture); test modules import the plain helpers (ONNX graph builder, network comparison)
from here, never from another test module.
"""
