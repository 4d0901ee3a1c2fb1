"""FuseSoC flow: where the IP core lives (``ip``: checkout or installed copy, file lists
from pocket_cnn.core) and the library side of the generator ``pocket_cnn_gen``."""
