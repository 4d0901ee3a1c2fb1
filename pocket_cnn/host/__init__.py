"""Talking to a programmed board: the UART host protocol of the board top
(rtl/board/pcnn_board_uart.vhd), a serial link with timeouts that say what is
missing, and the loop that sends every image and collects the results.
"""

from pocket_cnn.host.protocol import decode_result, encode_image
from pocket_cnn.host.run import BoardRun, run_images
from pocket_cnn.host.serial_link import BoardTimeout, SerialLink, open_link

__all__ = [
    "BoardRun",
    "BoardTimeout",
    "SerialLink",
    "decode_result",
    "encode_image",
    "open_link",
    "run_images",
]
