#!/usr/bin/env python3
"""How long from the second participant's Join click to the first remote video frame on both
sides: through the product (sign-in, device check, waiting room, signaling, TURN/STUN from the
environment) against a baseline of two pages in the same browser connected directly, with the
SDP and candidates handed over in page (BroadcastChannel, no server). Prints both medians and
their ratio (target: at most 1.5). Not a test.

Run inside the private network namespace with the test services, e.g.
  scripts/netns-run bash -c 'scripts/test-services start >/dev/null; set -a;
    . .test-services/env; set +a; .venv/bin/python bench/bench_call.py --runs 10;
    rc=$?; scripts/test-services stop; exit $rc'
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BASELINE_HTML = """<!doctype html><meta charset="utf-8"><title>baseline</title>
<video id="remote" autoplay playsinline></video>
<script type="module" src="baseline.js"></script>"""

# The baseline: the same ICE servers, no server in between. "callee" waits with its media
# ready (like the first person in the waiting room); "caller" starts on start() (the click).
BASELINE_JS = """
const bc = new BroadcastChannel("bench");
const remote = document.getElementById("remote");
let pc = null;
window.firstFrameAt = null;
async function makePc(ice) {
  pc = new RTCPeerConnection({ iceServers: ice });
  pc.onicecandidate = ({ candidate }) => candidate && bc.postMessage({ candidate: candidate.toJSON() });
  window.marks = {};
  const mark = (n) => { window.marks[n] ??= performance.timeOrigin + performance.now(); };
  pc.onconnectionstatechange = () => mark(pc.connectionState);
  pc.onsignalingstatechange = () => mark(`sig-${pc.signalingState}`);
  pc.ontrack = ({ streams }) => {
    if (remote.srcObject === streams[0]) return;
    remote.srcObject = streams[0];
    remote.requestVideoFrameCallback(() => { window.firstFrameAt = performance.timeOrigin + performance.now(); });
  };
  const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  stream.getTracks().forEach((t) => pc.addTrack(t, stream));
}
bc.onmessage = async ({ data }) => {
  if (!pc) return;
  if (data.description) {
    await pc.setRemoteDescription(data.description);
    if (data.description.type === "offer") {
      await pc.setLocalDescription();
      bc.postMessage({ description: pc.localDescription.toJSON() });
    }
  } else if (data.candidate) {
    await pc.addIceCandidate(data.candidate).catch(() => {});
  }
};
window.prepare = (ice) => makePc(ice);
window.start = async (ice) => {
  await makePc(ice);
  await pc.setLocalDescription();
  bc.postMessage({ description: pc.localDescription.toJSON() });
};
"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def setup_app(var_dir: Path) -> dict[str, str]:
    """A throwaway database with the personas and a call starting in five minutes."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TELETHERAPY_TESTING": "1",
        "TASKS_BACKEND": "immediate",
        "VAR_DIR": str(var_dir),
        "SQLITE_PATH": str(var_dir / "bench.sqlite3"),
        "DATABASE_URL": "",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", ""),
        "STATIC_MANIFEST": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "AXES_FAILURE_LIMIT": "1000",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from teletherapy.test.personas import PASSWORD, build_cast
    from teletherapy.video.tests.conftest import make_tele_appointment

    call_command("migrate", verbosity=0)
    cast = build_cast(password=PASSWORD)
    call = make_tele_appointment(cast, start=timezone.now() + timedelta(minutes=5))
    env["APPOINTMENT_ID"] = str(call.pk)
    env["PASSWORD"] = PASSWORD
    return env


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "teletherapy.test.serve", str(port)],
        cwd=ROOT,
        # The signaling socket accepts pages of SITE_URL's origin only.
        env={**os.environ, **env, "SITE_URL": f"http://127.0.0.1:{port}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/sign-in/", timeout=1)
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the app did not start")


def wait_first_frames(pages, expression: str, timeout: float = 30.0) -> list[float]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        values = [page.evaluate(expression) for page in pages]
        if all(values):
            return values
        time.sleep(0.02)
    states = [
        page.evaluate("window.__call && [__call.machine.state, __call.marks]") for page in pages
    ]
    raise SystemExit(f"no first frame within {timeout}s: {states}")


def bench_product(browser, base: str, env: dict[str, str], runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    call_id, password = env["APPOINTMENT_ID"], env["PASSWORD"]
    therapist_ctx, client_ctx = browser.new_context(), browser.new_context()
    therapist, client = therapist_ctx.new_page(), client_ctx.new_page()
    therapist.goto(f"{base}/accounts/sign-in/")
    therapist.fill("input[name=email]", "tess@maple.test")
    therapist.fill("input[name=password]", password)
    therapist.click("button[type=submit]")
    therapist.wait_for_url(f"{base}/dashboard/**")
    client.goto(f"{base}/portal/sign-in/")
    client.fill("input[name=username]", "casey")
    client.fill("input[name=password]", password)
    client.click("button[type=submit]")
    client.wait_for_url(f"{base}/portal/**")
    client.goto(f"{base}/portal/sessions/{call_id}/")
    client.select_option("select[name=location]", "NJ")
    client.click("#join")
    client.wait_for_url(f"{base}/portal/sessions/{call_id}/room/")
    times = []
    for _ in range(runs):
        # The first person waits in the Telehealth Waiting Room, alone.
        therapist.goto("about:blank")
        client.goto(f"{base}/portal/sessions/{call_id}/room/")
        client.locator("#waiting-status").filter(has_text="Waiting for").wait_for()
        # The second person checks their devices, then presses Start.
        therapist.goto(f"{base}/sessions/{call_id}/")
        therapist.click("#allow-devices")
        therapist.locator("#device-status").filter(has_text="work").wait_for()
        # Time the click where it happens, in the page.
        therapist.evaluate(
            """() => document.getElementById("start-call").addEventListener("click",
                 () => { window.__clickAt = performance.timeOrigin + performance.now(); },
                 { capture: true })"""
        )
        therapist.click("#start-call")
        t0 = therapist.evaluate("window.__clickAt")
        frames = wait_first_frames(
            [therapist, client], "window.__call && window.__call.firstFrameAt"
        )
        times.append(max(frames) - t0)
        marks = {
            who: {k: round(v - t0) for k, v in page.evaluate("window.__call.marks").items()}
            for who, page in (("second (therapist)", therapist), ("first (client)", client))
        }
        marks["t0"] = t0
    print("last product run, ms after the click:", json.dumps(marks))
    therapist_ctx.close()
    client_ctx.close()
    return times


def bench_baseline(browser, ice: list, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    docroot = tempfile.TemporaryDirectory()
    Path(docroot.name, "index.html").write_text(BASELINE_HTML)
    Path(docroot.name, "baseline.js").write_text(BASELINE_JS)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # type: ignore[no-untyped-def]
            pass

    Quiet.extensions_map = {**Quiet.extensions_map, ".js": "text/javascript"}
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=docroot.name)
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/index.html"
    context = browser.new_context()
    caller, callee = context.new_page(), context.new_page()
    times = []
    for _ in range(runs):
        for page in (caller, callee):
            page.goto(url)
            page.wait_for_function("() => typeof window.start === 'function'")
        callee.evaluate("ice => window.prepare(ice)", ice)
        t0 = caller.evaluate(
            "ice => { const t = performance.timeOrigin + performance.now(); window.start(ice); return t; }",
            ice,
        )
        frames = wait_first_frames([caller, callee], "window.firstFrameAt")
        times.append(max(frames) - t0)
        marks = {
            who: {k: round(v - t0) for k, v in page.evaluate("window.marks").items()}
            for who, page in (("caller", caller), ("callee", callee))
        }
        marks["caller"]["firstFrame"] = round(frames[0] - t0)
        marks["callee"]["firstFrame"] = round(frames[1] - t0)
    print("last baseline run, ms after start:", json.dumps(marks))
    context.close()
    server.shutdown()
    docroot.cleanup()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    from playwright.sync_api import sync_playwright

    from teletherapy.test.browser import CHROMIUM, CHROMIUM_ARGS

    with tempfile.TemporaryDirectory() as tmp:
        env = setup_app(Path(tmp))
        from teletherapy.video.turn import ice_servers

        ice = ice_servers()
        port = free_port()
        server = start_server(env, port)
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                product = bench_product(browser, f"http://127.0.0.1:{port}", env, args.runs)
                baseline = bench_baseline(browser, ice, args.runs)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)

    product_median = statistics.median(product)
    baseline_median = statistics.median(baseline)
    print(
        json.dumps(
            {"product_ms": [round(t) for t in product], "baseline_ms": [round(t) for t in baseline]}
        )
    )
    print(f"ICE servers: {', '.join(u for s in ice for u in s['urls']) or 'none'}")
    print(
        f"product  median: {product_median:7.0f} ms  (Join click -> first remote frame, both sides; n={len(product)})"
    )
    print(
        f"baseline median: {baseline_median:7.0f} ms  (direct, SDP handed over in page; n={len(baseline)})"
    )
    print(f"ratio: {product_median / baseline_median:.2f} (target <= 1.5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
