"""The console text backend: printed and kept in var/sms/ on a developer's machine; with
HTTPS=1 kept only, so the server's log holds no one-time link."""

from __future__ import annotations

from pathlib import Path

import pytest

from teletherapy.lib.sms import ConsoleBackend

BODY = "Reminder: your appointment. Confirm: http://localhost/r/abc123secret/"


@pytest.mark.parametrize("https", [False, True])
def test_the_console_backend_keeps_every_text_and_prints_it_only_off_production(
    settings, tmp_path: Path, capsys, https: bool
) -> None:  # type: ignore[no-untyped-def]
    settings.HTTPS = https
    result = ConsoleBackend(tmp_path).send(to="+12015550123", body=BODY)
    assert result.ok and result.status == "sent"
    (kept,) = tmp_path.iterdir()
    assert BODY in kept.read_text() and result.provider_id in kept.name
    printed = capsys.readouterr().out
    if https:
        assert printed == ""
    else:
        assert BODY in printed and "+12015550123" in printed
