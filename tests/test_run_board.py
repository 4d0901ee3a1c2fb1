"""``pocket-cnn run-board`` against a simulated board on a pseudo-terminal.

A pty pair stands in for the USB-serial port: pyserial opens the slave, a thread on
the master plays the board. The fake board implements the protocol of
rtl/board/pcnn_board_uart.vhd: it reads C*H*W bytes, runs the Python reference on
the image and answers ``net.output_words`` int8 bytes and the status byte (error flag,
results modulo 128). Variants answer too few bytes (the timeout must name the image and
the byte count), corrupt one byte (exit 1), or set the error flag (a warning).
"""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from pocket_cnn import reference
from pocket_cnn.cli.main import main
from pocket_cnn.host.protocol import BoardStatus, decode_result, decode_status, encode_image
from pocket_cnn.ir import Network
from pocket_cnn.simulation.stimuli import random_images, to_words
from pocket_cnn.zoo import build
from pocket_cnn.zoo.draw import LayerSpec, NetSpec, build_network

MODEL = "conv_3x1_1x1_max_2x2"


class FakeBoard(threading.Thread):
    """Plays the board top on the pty master: image bytes in, reference bytes out.

    ``short=(image, n)``: answer only n bytes for that image; ``corrupt=image``: flip
    the low bit of the first result byte of that image; ``error_from=image``: the status
    byte's error flag is set from that image on.
    """

    def __init__(
        self,
        net: Network,
        fd: int,
        short: tuple[int, int] | None = None,
        corrupt: int = -1,
        error_from: int = -1,
    ) -> None:
        super().__init__(daemon=True)
        self.net, self.fd, self.short, self.corrupt = net, fd, short, corrupt
        self.error_from = error_from
        self.stop = threading.Event()
        self.images = 0

    def _answer(self, data: bytes) -> bytes:
        c, h, w = self.net.input_shape
        dtype = np.int8 if self.net.input_signed else np.uint8
        img = np.frombuffer(data, dtype=dtype).reshape(1, h, w, c).transpose(0, 3, 1, 2)
        y = np.asarray(reference.run(self.net, img), dtype=np.int8)
        out = bytearray((to_words(y) & 0xFF).astype(np.uint8).tolist())
        if self.images == self.corrupt:
            out[0] ^= 1
        if self.short is not None and self.images == self.short[0]:
            return bytes(out[: self.short[1]])
        flag = 0x80 if 0 <= self.error_from <= self.images else 0
        out.append(flag | (self.images + 1) % 128)
        return bytes(out)

    def run(self) -> None:
        buf = b""
        while not self.stop.is_set():
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if not ready:
                continue
            try:
                buf += os.read(self.fd, 4096)
            except OSError:  # the slave side closed
                return
            while len(buf) >= self.net.input_words:
                image, buf = buf[: self.net.input_words], buf[self.net.input_words :]
                os.write(self.fd, self._answer(image))
                self.images += 1


@pytest.fixture
def pty() -> Iterator[tuple[int, str]]:
    master, slave = os.openpty()
    path = os.ttyname(slave)
    yield master, path
    os.close(slave)
    os.close(master)


def _board(net: Network, master: int, **kw: object) -> FakeBoard:
    board = FakeBoard(net, master, **kw)  # type: ignore[arg-type]
    board.start()
    return board


def _input(tmp_path: Path, net: Network, n: int) -> tuple[Path, np.ndarray]:
    x = random_images(net, n, seed=5)
    path = tmp_path / "x.npy"
    np.save(path, x)
    return path, x


def _run(model: str, inp: Path, port: str, *extra: str) -> int:
    return main(["run-board", model, str(inp), "--port", port, *extra])


def test_protocol_bytes_round_trip() -> None:
    net = build("conv_3x1_1x1_max_2x2_leaky_relu")
    x = random_images(net, 1, seed=2)
    data = encode_image(net, x[0])
    assert len(data) == net.input_words
    c = net.input_shape[0]
    # stream order: channel fastest, then column, then row
    assert data[1] == int(x[0, 1 % c, 0, 1 // c]) & 0xFF
    y = np.asarray(reference.run(net, x), dtype=np.int8)
    raw = (to_words(y) & 0xFF).astype(np.uint8).tobytes()
    assert np.array_equal(decode_result(net, raw), to_words(y))


def _signed_net() -> Network:
    spec = NetSpec("signed", (2, 4, 4), (LayerSpec(cout=3, kernel=3, pad=1),), True, True, 7)
    return build_network(spec, np.random.default_rng(1))


def test_int8_input_sent_as_twos_complement() -> None:
    net = _signed_net()
    img = np.zeros(net.input_shape, dtype=np.int8)
    img[1, 0, 0], img[0, 0, 1] = -1, -128  # words 1 and 2 of the stream
    assert encode_image(net, img)[:4] == bytes([0, 0xFF, 0x80, 0])


def test_int8_network_all_images_match(
    tmp_path: Path,
    pty: tuple[int, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    net = _signed_net()
    x = random_images(net, 3, seed=9)
    assert x.dtype == np.int8 and (x < 0).any()
    monkeypatch.setattr("pocket_cnn.cli.cmd_run_board.load", lambda _model: net)
    inp = tmp_path / "x.npy"
    np.save(inp, x)
    board = _board(net, pty[0])
    out = tmp_path / "y.npy"
    code = _run("signed.onnx", inp, pty[1], "-o", str(out))
    board.stop.set()
    board.join(timeout=5)  # before the pty's fds are closed and reused
    assert code == 0, capsys.readouterr().err
    assert np.array_equal(np.load(out), np.asarray(reference.run(net, x), dtype=np.int8))


def test_all_images_match(
    tmp_path: Path, pty: tuple[int, str], capsys: pytest.CaptureFixture[str]
) -> None:
    net = build(MODEL)
    inp, x = _input(tmp_path, net, 6)
    board = _board(net, pty[0])
    out = tmp_path / "out" / "y.npy"
    code = _run(f"zoo:{MODEL}", inp, pty[1], "-o", str(out))
    board.stop.set()
    board.join(timeout=5)  # before the pty's fds are closed and reused
    cap = capsys.readouterr()
    assert code == 0, cap.err
    assert board.images == 6
    y = np.load(out)
    want = np.asarray(reference.run(net, x), dtype=np.int8)
    assert y.dtype == np.int8 and y.shape == want.shape
    assert np.array_equal(y, want)
    assert "6 images match the reference" in cap.out
    assert "6/6 images" in cap.err and "images/s" in cap.err


def test_corrupt_byte_exit_1(
    tmp_path: Path, pty: tuple[int, str], capsys: pytest.CaptureFixture[str]
) -> None:
    net = build(MODEL)
    inp, x = _input(tmp_path, net, 4)
    board = _board(net, pty[0], corrupt=2)
    out = tmp_path / "y.npy"
    code = _run(f"zoo:{MODEL}", inp, pty[1], "-o", str(out))
    board.stop.set()
    board.join(timeout=5)  # before the pty's fds are closed and reused
    err = capsys.readouterr().err
    assert code == 1
    assert "image 2: 1 of" in err and "1 of 4 images differ" in err, err
    y = np.load(out)  # the board's words are written, wrong byte included
    want = np.asarray(reference.run(net, x), dtype=np.int8)
    assert np.array_equal(y[[0, 1, 3]], want[[0, 1, 3]])
    assert (to_words(y[2:3])[0] ^ to_words(want[2:3])[0]) & 0xFF == 1


def test_status_error_flag_is_reported(
    tmp_path: Path, pty: tuple[int, str], capsys: pytest.CaptureFixture[str]
) -> None:
    net = build(MODEL)
    inp, _ = _input(tmp_path, net, 3)
    board = _board(net, pty[0], error_from=1)
    code = _run(f"zoo:{MODEL}", inp, pty[1])
    board.stop.set()
    board.join(timeout=5)  # before the pty's fds are closed and reused
    err = capsys.readouterr().err
    assert code == 0  # every result is right; the flag is a warning
    assert "warning: image 1: the board's error flag is set" in err
    assert "result was lost" not in err


def test_status_byte_decoded() -> None:
    assert decode_status(bytes([0x85])) == BoardStatus(error=True, results=5)
    assert decode_status(bytes([0x7F])) == BoardStatus(error=False, results=127)


def test_short_answer_timeout_names_what_is_missing(
    tmp_path: Path, pty: tuple[int, str], capsys: pytest.CaptureFixture[str]
) -> None:
    net = build(MODEL)
    inp, _ = _input(tmp_path, net, 5)
    board = _board(net, pty[0], short=(3, 5))
    out = tmp_path / "y.npy"
    code = _run(f"zoo:{MODEL}", inp, pty[1], "-o", str(out), "--timeout", "0.5")
    board.stop.set()
    board.join(timeout=5)  # before the pty's fds are closed and reused
    err = capsys.readouterr().err
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.startswith("pocket-cnn: error:")]
    assert len(lines) == 1 and "Traceback" not in err
    assert f"image 3: got 5 of {net.output_words} result bytes after 0.5 s" in lines[0]
    assert "programmed with this model, at this baud rate" in lines[0]
    assert not out.exists()


def test_missing_port_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    net = build(MODEL)
    inp, _ = _input(tmp_path, net, 1)
    code = _run(f"zoo:{MODEL}", inp, str(tmp_path / "no_tty"))
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "cannot open the serial port" in err and "--port" in err


def test_bad_input_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((1, 9, 9, 9), dtype=np.float32))
    assert _run(f"zoo:{MODEL}", bad, "/dev/null") == 2
    err = capsys.readouterr().err
    assert err.startswith("pocket-cnn: error: ") and "expects" in err


def test_argmax_board_prints_the_class(
    tmp_path: Path, pty: tuple[int, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A board built with --argmax answers one byte per image, the class index; run-board
    --argmax prints it per image and compares it with the reference's argmax."""
    name = "conv_3x1_1x1_max_2x2_odd_channel"
    net = build(name)
    inp, x = _input(tmp_path, net, 5)
    board = _board(net.with_argmax(), pty[0])
    out = tmp_path / "cls.npy"
    code = _run(f"zoo:{name}", inp, pty[1], "--argmax", "-o", str(out))
    board.stop.set()
    board.join(timeout=5)  # before the pty's fds are closed and reused
    cap = capsys.readouterr()
    assert code == 0, cap.err
    want = np.argmax(reference.run(net, x), axis=1)  # the first of equal maxima
    for i, cls in enumerate(want):
        assert f"image {i}: class {cls}\n" in cap.out
    y = np.load(out)
    assert y.dtype == np.uint8 and y.shape == (5, 1)
    np.testing.assert_array_equal(y.ravel(), want)
    assert "5 images match the reference" in cap.out


def test_argmax_board_wrong_class_exit_1(
    tmp_path: Path, pty: tuple[int, str], capsys: pytest.CaptureFixture[str]
) -> None:
    net = build(MODEL)
    inp, _ = _input(tmp_path, net, 3)
    board = _board(net.with_argmax(), pty[0], corrupt=1)
    code = _run(f"zoo:{MODEL}", inp, pty[1], "--argmax")
    board.stop.set()
    board.join(timeout=5)
    assert code == 1
    assert "1 of 3 images differ" in capsys.readouterr().err


def test_argmax_board_without_option_says_add_argmax(
    tmp_path: Path, pty: tuple[int, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A board built with argmax, run-board without --argmax: exit 2 after the timeout,
    the one error line says the board answers like an argmax board."""
    net = build(MODEL)
    inp, _ = _input(tmp_path, net, 2)
    board = _board(net.with_argmax(), pty[0])
    code = _run(f"zoo:{MODEL}", inp, pty[1], "--timeout", "0.5")
    board.stop.set()
    board.join(timeout=5)
    err = capsys.readouterr().err
    assert code == 2
    assert "image 0: got 2 of 8 result bytes" in err
    assert err.strip().endswith("add --argmax"), err
