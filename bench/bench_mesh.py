#!/usr/bin/env python3
"""A five-person call on this machine: the therapist and four clients of one appointment, each
in their own fake-camera Chromium context, a full mesh (each page sends four streams and
receives four). Prints each side's received video frame rate (from getStats framesDecoded)
and the total CPU of the browser and the app over the measuring window, and the same figures
for a two-person call from the same run as the baseline (with the ratios). Not a test.

Run inside the private network namespace with the test services, e.g.
  scripts/netns-run bash -c 'scripts/test-services start >/dev/null; set -a;
    . .test-services/env; set +a; .venv/bin/python bench/bench_mesh.py --seconds 20;
    rc=$?; scripts/test-services stop; exit $rc'
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_call import free_port, setup_app, start_server  # noqa: E402

CLIENTS = [("casey", None), ("pat", "Pat"), ("robin", "Robin"), ("sky", "Sky")]
TICKS = os.sysconf("SC_CLK_TCK")


def add_group_call(env: dict[str, str]) -> None:
    """Casey's appointment with three more clients (all with portal logins, each located),
    and Casey's own two-person appointment at the same time, for the baseline."""
    from django.utils import timezone

    from teletherapy.clients.models import Client
    from teletherapy.practice.models import StaffMember
    from teletherapy.test.personas import PASSWORD, make_client
    from teletherapy.video import services
    from teletherapy.video.models import VideoSession
    from teletherapy.video.tests.conftest import make_tele_appointment

    therapist = StaffMember.objects.get(user__email="tess@maple.test")
    casey = Client.objects.get(user__username="casey")

    cast = SimpleNamespace(
        practice=therapist.practice, therapist=therapist, client_with_portal=casey
    )
    group = make_tele_appointment(cast, start=timezone.now() + timedelta(minutes=5))
    services.set_client_location(appointment=group, by=casey, location="NJ")
    for username, first in CLIENTS[1:]:
        assert first is not None
        other = make_client(
            therapist.practice,
            first,
            "Bench",
            therapists=[therapist],
            username=username,
            password=PASSWORD,
            email=f"{username}@example.com",
        )
        group.additional_clients.add(other)
        services.set_client_location(appointment=group, by=other, location="NY")
    env["GROUP_ID"] = str(group.pk)
    VideoSession.objects.get_or_create(
        appointment_id=int(env["APPOINTMENT_ID"]), defaults={"client_location": "NJ"}
    )


# --- CPU of this run's processes only (the machine is shared) ------------------------------


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def cpu_seconds(pids: set[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def measure(pages: list[Any], frames_js: str, seconds: float) -> tuple[list[list[float]], float]:
    """Each page's received frame rate per incoming stream, and the CPU seconds per second
    of this process's descendants (the browsers, the app) over the window."""
    me = os.getpid()
    before_pids = _descendants(me)
    cpu0 = cpu_seconds(before_pids)
    t0 = time.monotonic()
    f0 = [page.evaluate(frames_js) for page in pages]
    time.sleep(seconds)  # the measuring window itself (a benchmark, not a test)
    f1 = [page.evaluate(frames_js) for page in pages]
    elapsed = time.monotonic() - t0
    pids = before_pids | _descendants(me)
    cpu = (cpu_seconds(pids) - cpu0) / elapsed
    rates = [
        [(b.get(k, 0) - a.get(k, 0)) / elapsed for k in b] for a, b in zip(f0, f1, strict=True)
    ]
    return rates, cpu


MESH_FRAMES = """async () => { const s = await window.__call.summary(); const out = {};
  for (const p of s.peers) out[p.name] = p.framesDecoded; return out; }"""
PAIR_FRAMES = """async () => ({ peer: (await window.__call.summary()).framesDecoded || 0 })"""


def sign_in(page: Any, base: str, username: str, password: str) -> None:
    if username == "tess":
        page.goto(f"{base}/accounts/sign-in/")
        page.fill("input[name=email]", "tess@maple.test")
    else:
        page.goto(f"{base}/portal/sign-in/")
        page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def wait_until(page: Any, expression: str, timeout: float = 120.0) -> None:
    page.wait_for_function(expression, timeout=timeout * 1000, polling=500)


def start_therapist(page: Any, base: str, call_id: str) -> None:
    page.goto(f"{base}/sessions/{call_id}/")
    page.click("#allow-devices")
    page.locator("#device-status").filter(has_text="work").wait_for()
    page.click("#start-call")


def run_mesh(browser: Any, base: str, env: dict[str, str], seconds: float) -> tuple[Any, float]:
    call_id, password = env["GROUP_ID"], env["PASSWORD"]
    contexts = [browser.new_context() for _ in range(5)]
    pages = [c.new_page() for c in contexts]
    names = ["tess"] + [u for u, _ in CLIENTS]
    for page, name in zip(pages, names, strict=True):
        sign_in(page, base, name, password)
    for page in pages[1:]:
        page.goto(f"{base}/portal/sessions/{call_id}/room/")
    start_therapist(pages[0], base, call_id)
    everyone = """async () => { const s = await window.__call.summary();
      return s.peers.length === 4 && s.peers.every((p) => p.connectionState === 'connected'
        && p.framesDecoded > 0); }"""
    for page in pages:
        wait_until(page, everyone)
    time.sleep(5)  # let the bandwidth steps and the encoders settle before measuring
    rates, cpu = measure(pages, MESH_FRAMES, seconds)
    steps = [page.evaluate(MESH_BITRATES) for page in pages]
    for context in contexts:
        context.close()
    return (names, rates, steps), cpu


MESH_BITRATES = """async () => (await window.__call.summary()).peers.map((p) => p.maxBitrate)"""


def run_pair(browser: Any, base: str, env: dict[str, str], seconds: float) -> tuple[Any, float]:
    call_id, password = env["APPOINTMENT_ID"], env["PASSWORD"]
    contexts = [browser.new_context() for _ in range(2)]
    therapist, client = (c.new_page() for c in contexts)
    sign_in(therapist, base, "tess", password)
    sign_in(client, base, "casey", password)
    client.goto(f"{base}/portal/sessions/{call_id}/room/")
    start_therapist(therapist, base, call_id)
    flowing = """async () => { const s = await window.__call.summary();
      return s.connectionState === 'connected' && s.framesDecoded > 0; }"""
    for page in (therapist, client):
        wait_until(page, flowing)
    time.sleep(5)
    rates, cpu = measure([therapist, client], PAIR_FRAMES, seconds)
    for context in contexts:
        context.close()
    return (["tess", "casey"], rates), cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measuring window")
    args = parser.parse_args()
    from teletherapy.test.browser import CHROMIUM, CHROMIUM_ARGS

    with tempfile.TemporaryDirectory() as tmp:
        env = setup_app(Path(tmp))
        add_group_call(env)
        port = free_port()
        server = start_server(env, port)
        base = f"http://127.0.0.1:{port}"
        try:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                (pair_names, pair_rates), pair_cpu = run_pair(browser, base, env, args.seconds)
                (names, rates, steps), mesh_cpu = run_mesh(browser, base, env, args.seconds)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)

    print(f"Five-person mesh, {args.seconds:.0f} s window (received video frames per second):")
    for name, side, caps in zip(names, rates, steps, strict=True):
        shown = ", ".join(f"{r:.1f}" for r in side)
        print(
            f"  {name:6} receives {shown} fps (mean {statistics.mean(side):.1f}); send caps {caps}"
        )
    mesh_mean = statistics.mean(r for side in rates for r in side)
    print(f"  total CPU (browsers + app): {mesh_cpu:.2f} cores")
    print("Two-person call (baseline, same run):")
    for name, side in zip(pair_names, pair_rates, strict=True):
        print(f"  {name:6} receives {side[0]:.1f} fps")
    pair_mean = statistics.mean(r for side in pair_rates for r in side)
    print(f"  total CPU (browsers + app): {pair_cpu:.2f} cores")
    print(
        f"Ratios five/two: received fps {mesh_mean / pair_mean:.2f}, "
        f"CPU {mesh_cpu / pair_cpu:.2f} (for 20 streams against 2)"
    )
    print(f"Machine: {os.cpu_count()} cores, load {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
