"""The README's main-job command, run as a user runs it.

`scripts/run.sh` sets up (idempotent) and runs `fusesoc run --target=sim pocket_cnn`;
afterwards the bare FuseSoC command works from the checkout on its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_main_job_prints_pass() -> None:
    proc = subprocess.run(
        ["bash", "scripts/run.sh"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "pcnn_tb_net: PASS" in proc.stdout
    assert "run.sh: PASS" in proc.stdout

    # Once set up, the FuseSoC command alone works too (./fusesoc.conf is read).
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    bare = subprocess.run(
        ["fusesoc", "run", "--target=sim", "pocket_cnn"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert bare.returncode == 0, bare.stdout[-2000:] + bare.stderr[-2000:]
    assert "pcnn_tb_net: PASS" in bare.stdout + bare.stderr
