"""Debian's firefox-esr for the tests, driven over WebDriver BiDi by a small Node script
(firefox_driver.mjs, puppeteer-core from package-lock.json) that this module talks to in JSON
lines. A test can drive one Chromium (Playwright) and one Firefox in the same call.

Firefox plays and captures sound through PulseAudio: without a sound server its AudioContext
never runs and its fake microphone sends nothing, so the fixture starts a user-mode PulseAudio
with a null sink in a temporary directory, used by this Firefox only."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from teletherapy.test.browser import ROOT

FIREFOX = "/usr/bin/firefox-esr"
DRIVER = Path(__file__).with_name("firefox_driver.mjs")
# Each command's answer; the slowest (launch, a page load under load) stay well inside it.
ANSWER_TIMEOUT = 120.0


class FirefoxError(AssertionError):
    """Firefox (or the driver) refused a command; the message is the driver's stack."""


class PulseAudio:
    """A user-mode PulseAudio with one null sink, its socket in a temporary directory."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="tt-pulse-"))
        self.socket = self.dir / "native"
        self.log = self.dir / "pulseaudio.log"
        env = {
            **os.environ,
            "HOME": str(self.dir),
            "XDG_RUNTIME_DIR": str(self.dir),
            "PULSE_RUNTIME_PATH": str(self.dir),
        }
        self.process = subprocess.Popen(
            [
                "pulseaudio",
                "--daemonize=no",
                "--system=false",  # a per-user daemon, even when the tests run as root
                "--exit-idle-time=-1",
                "--disallow-module-loading",
                "-n",  # no default.pa: only the modules below
                "--load=module-null-sink sink_name=tt_null",
                f"--load=module-native-protocol-unix socket={self.socket} auth-anonymous=1",
                "--log-target=stderr",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("wb"),
        )
        deadline = time.monotonic() + 30
        while not self.socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"PulseAudio did not start:\n{self.log.read_text()}")
            time.sleep(0.05)

    @property
    def server(self) -> str:
        return f"unix:{self.socket}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Firefox:
    """One Firefox: launch() it, then page() gives tabs, each in its own browser context
    (its own cookies, like Playwright's new_context())."""

    def __init__(self, *, pulse: PulseAudio, log_path: Path) -> None:
        self.log_path = log_path
        env = {**os.environ, "PULSE_SERVER": pulse.server, "MOZ_CRASHREPORTER_DISABLE": "1"}
        self.process = subprocess.Popen(
            ["node", str(DRIVER)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_path.open("wb"),
            text=True,
            bufsize=1,
        )
        self._answers: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._next = 0
        self.version = str(self.command("launch"))

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._answers.put(line)

    def command(self, op: str, **fields: Any) -> Any:
        self._next += 1
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"id": self._next, "op": op, **fields}) + "\n")
        self.process.stdin.flush()
        try:
            line = self._answers.get(timeout=ANSWER_TIMEOUT)
        except queue.Empty:
            raise FirefoxError(f"{op}: no answer in {ANSWER_TIMEOUT}s\n{self.log()}") from None
        answer = json.loads(line)
        assert answer["id"] == self._next, answer
        if "error" in answer:
            raise FirefoxError(f"{op} {fields}: {answer['error']}")
        return answer["value"]

    def page(self, *, width: int = 1280, height: int = 800) -> FirefoxPage:
        return FirefoxPage(self, int(self.command("newPage", width=width, height=height)))

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-20_000:]

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.command("close")
            except (FirefoxError, OSError, ValueError):
                pass
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class FirefoxPage:
    """A Firefox tab. Selectors are CSS; functions are JavaScript source evaluated in the
    page with JSON arguments (awaited when they return a promise)."""

    def __init__(self, firefox: Firefox, page_id: int) -> None:
        self.firefox = firefox
        self.id = page_id

    def _do(self, op: str, **fields: Any) -> Any:
        return self.firefox.command(op, page=self.id, **fields)

    def goto(self, url: str) -> int | None:
        status = self._do("goto", url=url)
        return None if status is None else int(status)

    def reload(self) -> None:
        self._do("reload")

    @property
    def url(self) -> str:
        return str(self._do("url"))

    def fill(self, selector: str, value: str) -> None:
        self._do("fill", selector=selector, value=value)

    def click(self, selector: str) -> None:
        self._do("click", selector=selector)

    def press(self, key: str) -> None:
        self._do("press", key=key)

    def select(self, selector: str, *values: str) -> list[str]:
        return list(self._do("select", selector=selector, values=list(values)))

    def evaluate(self, fn: str, *args: Any) -> Any:
        return self._do("evaluate", fn=fn, args=list(args))

    def wait_for(self, fn: str, *args: Any, timeout: float = 30.0) -> Any:
        """The first truthy value fn(...args) returns, polled until timeout seconds."""
        return self._do("waitFor", fn=fn, args=list(args), timeout=int(timeout * 1000))

    def wait_for_url(self, url: str, timeout: float = 30.0) -> None:
        """Wait until the page's address, without query and fragment, is `url`."""
        self.wait_for("(u) => location.origin + location.pathname === u", url, timeout=timeout)

    def text(self, selector: str) -> str:
        return str(
            self.evaluate(
                "(s) => { const e = document.querySelector(s); return e ? e.innerText : ''; }",
                selector,
            )
        )

    def screenshot(self, path: Path, *, full_page: bool = False) -> None:
        self._do("screenshot", path=str(path), fullPage=full_page)

    def close(self) -> None:
        self._do("closePage")


@pytest.fixture(scope="module")
def firefox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Firefox]:
    """Debian's firefox-esr, headless, with fake camera and microphone and its own PulseAudio.
    Module-scoped like the Chromium fixture; each test takes its own page()."""
    for needed in (FIREFOX, shutil.which("pulseaudio"), shutil.which("node")):
        if not needed or not Path(needed).exists():
            pytest.fail(
                "firefox-esr, pulseaudio and node are needed: run the README's test command, "
                "which installs them"
            )
    if not (ROOT / "node_modules" / "puppeteer-core").is_dir():
        pytest.fail("puppeteer-core is missing: run `npm ci` (the README's test command does)")
    pulse = PulseAudio()
    try:
        browser = Firefox(pulse=pulse, log_path=tmp_path_factory.mktemp("firefox") / "driver.log")
        try:
            yield browser
        finally:
            browser.close()
    finally:
        pulse.stop()
