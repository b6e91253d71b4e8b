"""Static files as production serves them (the manifest storage after collectstatic): every ES
module imports the others by their hashed names, so a page fetches each module once."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from teletherapy.test.browser import ROOT

HASHED = re.compile(r"\.[0-9a-f]{12}\.js$")
IMPORT = re.compile(
    r"""(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']|import\(["']([^"']+)["']\)"""
)


def collectstatic(var_dir: Path) -> Path:
    """Run collectstatic with the production storage into var_dir/static; return that."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TELETHERAPY_TESTING": "1",
        "VAR_DIR": str(var_dir),
        "STATIC_MANIFEST": "1",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return var_dir / "static"


def test_collected_modules_import_hashed_names(tmp_path: Path) -> None:
    static = collectstatic(tmp_path)
    sources = sorted((ROOT / "static" / "js").rglob("*.js"))
    assert sources
    seen_imports = 0
    for source in sources:
        relative = source.relative_to(ROOT / "static")
        hashed = [p for p in static.joinpath(relative.parent).glob(f"{source.stem}.*.js")]
        hashed = [p for p in hashed if HASHED.search(p.name)]
        assert len(hashed) == 1, (relative, hashed)
        for match in IMPORT.finditer(hashed[0].read_text()):
            target = match.group(1) or match.group(2)
            seen_imports += 1
            assert HASHED.search(target), f"{relative} imports {target} by its plain name"
            assert (hashed[0].parent / target).resolve().exists(), (relative, target)
    assert seen_imports >= 5  # call.js alone imports five modules


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_call_page_fetches_each_module_once_hashed(
    cast, browser, live_server_factory, tmp_path
) -> None:
    from teletherapy.video.tests.conftest import make_tele_appointment
    from teletherapy.video.tests.test_call_browser import _passwords, sign_in_staff

    var_dir = tmp_path / "collected"
    var_dir.mkdir()
    collectstatic(var_dir)
    call = make_tele_appointment(cast)
    _passwords(cast.therapist.user)
    server = live_server_factory(env={"VAR_DIR": str(var_dir), "STATIC_MANIFEST": "1"})
    context = browser.new_context()
    page = context.new_page()
    fetched: list[str] = []
    errors: list[Any] = []
    try:
        sign_in_staff(page, server.url, cast.therapist.user.email)
        page.on("request", lambda request: fetched.append(request.url))
        page.on("pageerror", lambda error: errors.append(error))
        page.goto(f"{server.url}/sessions/{call.pk}/")
        # call.js ran (it imports every other call module).
        page.wait_for_function("() => window.__call && window.__call.marks", timeout=20000)
    finally:
        context.close()
    modules = [url for url in fetched if "/static/js/" in url]
    names = [re.sub(r"\.[0-9a-f]{12}\.js$", ".js", url.rsplit("/", 1)[1]) for url in modules]
    expected = {
        "call.js",
        "device-check.js",
        "devices.js",
        "machine.js",
        "negotiation.js",
        "quality.js",
        "recovery.js",
        "signaling.js",
        "waiting-room.js",
    }
    assert expected <= set(names), modules
    assert all(HASHED.search(url) for url in modules), modules
    assert len(names) == len(set(names)), f"a module was fetched twice: {modules}"
    assert errors == []
