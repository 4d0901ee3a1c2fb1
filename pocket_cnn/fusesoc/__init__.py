"""FuseSoC: the generator interface (``gapi``), the CAPI=2 cores written for generated VHDL
(``capi``), and the two generators of pocket_cnn.core: ``pocket_cnn_gen`` (``network_gen``:
ONNX model -> network VHDL) and ``pocket_cnn_board_gen`` (``board_gen``: board YAML ->
constraints, wrapper top, tool options). Where the IP itself lives is :mod:`pocket_cnn.ip`."""
