"""The ``check`` table: one row per stage with shapes, geometry, scales and cost."""

from __future__ import annotations

from pocket_cnn.ir import ConvStage, Network

HEADER = (
    "stage",
    "in CxHxW",
    "out CxHxW",
    "kernel",
    "stride",
    "pad",
    "act",
    "pool",
    "frac in/w/out",
    "MACs/image",
    "weights",
)


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(v) for v in shape)


def _conv_row(st: ConvStage) -> tuple[str, ...]:
    pool = "-" if st.pool is None else f"max {st.pool.kernel}/{st.pool.stride}"
    return (
        st.name,
        _shape(st.in_shape),
        _shape(st.out_shape),
        f"{st.kernel}x{st.kernel}",
        str(st.stride),
        str(st.pad),
        st.activation.value,
        pool,
        f"{st.frac_in}/{st.frac_w}/{st.frac_out}",
        str(st.macs),
        str(st.weights.size),
    )


def rows(net: Network) -> list[tuple[str, ...]]:
    """The table rows (without header): conv stages, then the GAP if any."""
    out = [_conv_row(st) for st in net.stages]
    if net.gap is not None:
        g = net.gap
        out.append(
            (
                g.name,
                _shape(g.in_shape),
                _shape(g.out_shape),
                "global",
                "-",
                "-",
                "-",
                "avg",
                f"{g.frac_in}/-/{g.frac_out}",
                "-",
                "-",
            )
        )
    return out


def table(net: Network) -> str:
    """The whole ``pocket-cnn check`` report as text."""
    body = [HEADER, *rows(net)]
    widths = [max(len(r[i]) for r in body) for i in range(len(HEADER))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in body
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    kind = "int8" if net.input_signed else "uint8"
    macs = sum(st.macs for st in net.stages)
    weights = sum(st.weights.size for st in net.stages)
    biases = sum(st.bias.size for st in net.stages)
    head = (
        f"network '{net.name}': input {_shape(net.input_shape)} {kind} (frac {net.input_frac}), "
        f"output {_shape(net.output_shape)} int8 (frac {net.output_frac})"
    )
    foot = (
        f"total: {len(net.stages)} conv stages, {macs} MACs/image, {weights} weights, "
        f"{biases} biases, {net.input_words} input words/image, "
        f"{net.output_words} output words/image"
    )
    return "\n".join([head, *lines, foot])
