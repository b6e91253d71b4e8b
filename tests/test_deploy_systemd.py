"""The systemd units in deploy/systemd/ are valid (systemd-analyze verify) and start what exists."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UNITS = sorted((ROOT / "deploy" / "systemd").iterdir())


@pytest.mark.parametrize("unit", UNITS, ids=lambda path: path.name)
def test_unit_verifies(unit: Path, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing (Debian's systemd package)")
    # The units name /srv/teletherapy; here the checkout stands in for it.
    copy = tmp_path / unit.name
    copy.write_text(unit.read_text().replace("/srv/teletherapy", str(ROOT)))
    result = subprocess.run(
        [analyze, "verify", "--man=no", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        # Units this one names but that only exist on a deployed machine.
        if not any(name in line for name in ("postgresql.service", "redis-server.service"))
        and "teletherapy-web@8001" not in line
        and line.strip()
    ]
    assert result.returncode == 0 and not problems, "\n".join(problems)
