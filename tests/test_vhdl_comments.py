"""Every entity of the core (filesets rtl and board of pocket_cnn.core) is documented where
it is declared: the file opens with a header comment naming the entity, every generic
has a comment on its line, and the port list opens with a comment (its first group;
later groups follow comment lines). vsg (scripts/test.sh) checks the style, not this.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pocket_cnn.ip import fileset

FILES = [p for p in [*fileset("rtl"), *fileset("board")] if p.suffix == ".vhd"]
ENTITY = re.compile(r"^entity (\w+) is$(.*?)^end entity", re.MULTILINE | re.DOTALL)


def _clause(body: str, kind: str) -> list[str]:
    """The non-empty lines of the ``generic`` or ``port`` clause of an entity."""
    match = re.search(rf"^\s*{kind} \((.*?)^\s*\);", body, re.MULTILINE | re.DOTALL)
    if match is None:
        return []
    return [line.strip() for line in match.group(1).splitlines() if line.strip()]


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_entity_comments(path: Path) -> None:
    text = path.read_text()
    entities = ENTITY.findall(text)
    if path.name == "pcnn_pkg.vhd":
        assert not entities
        assert text.startswith("-- pcnn_pkg: ")
        return
    assert len(entities) == 1, f"{path.name}: one entity per file"
    name, body = entities[0]
    assert text.startswith(f"-- {name}: "), f"{path.name}: no header comment on {name}"
    for line in _clause(body, "generic"):
        assert "--" in line, f"{name}: generic without a comment: {line}"
    ports = _clause(body, "port")
    assert ports, f"{name}: no ports"
    assert ports[0].startswith("--"), f"{name}: the port list does not open with a comment"
