"""The version of pocket-cnn (the package and the IP core's VLNV; a test keeps them equal)."""

__version__ = "0.1.0"
