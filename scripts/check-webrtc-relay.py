#!/usr/bin/env python3
"""Smoke test: two headless Chromium pages connect via the test coturn, relay only.

Run inside the test namespace with services up, e.g.
  scripts/netns-run bash -c 'scripts/test-services start >/dev/null && set -a &&
    . .test-services/env && set +a && .venv/bin/python scripts/check-webrtc-relay.py;
    rc=$?; scripts/test-services stop; exit $rc'
Uses TURN_URLS / TURN_SECRET from the environment and the system /usr/bin/chromium.
"""

import base64
import hashlib
import hmac
import http.server
import json
import os
import tempfile
import threading
import time
from functools import partial

from playwright.sync_api import sync_playwright

from teletherapy.test.browser import CHROMIUM_ARGS

# Page helpers: non-trickle ICE (wait for gathering to finish, then hand over
# the full SDP), so "signalling" is just passing strings between pages here.
PAGE = """<!doctype html><script>
async function makePc(ice, withMedia) {
  window.pc = new RTCPeerConnection({iceServers: ice, iceTransportPolicy: "relay"});
  if (withMedia) {
    const s = await navigator.mediaDevices.getUserMedia({video: true, audio: true});
    s.getTracks().forEach(t => pc.addTrack(t, s));
  } else {
    pc.addTransceiver("video", {direction: "recvonly"});
    pc.addTransceiver("audio", {direction: "recvonly"});
  }
}
function gathered() {
  return new Promise(r => pc.iceGatheringState === "complete" ? r() :
    pc.addEventListener("icegatheringstatechange",
      () => pc.iceGatheringState === "complete" && r()));
}
async function offer() { await pc.setLocalDescription(); await gathered(); return pc.localDescription.toJSON(); }
async function answer(o) { await pc.setRemoteDescription(o); return offer(); }
async function stats() {
  const out = {}, all = {};
  (await pc.getStats()).forEach(s => all[s.id] = s);
  for (const s of Object.values(all)) {
    if (s.type === "transport" && s.selectedCandidatePairId) {
      const p = all[s.selectedCandidatePairId];
      out.pair = {state: p.state, local: all[p.localCandidateId].candidateType,
                  remote: all[p.remoteCandidateId].candidateType,
                  localAddr: all[p.localCandidateId].address, rtt: p.currentRoundTripTime};
    }
    if (s.type === "inbound-rtp" && s.kind === "video")
      Object.assign(out, {framesDecoded: s.framesDecoded, bytesReceived: s.bytesReceived,
                          width: s.frameWidth, height: s.frameHeight});
  }
  return out;
}
</script>"""


def turn_credentials(secret, ident="check"):
    """TURN REST API: username '<expiry>:<id>', password base64(HMAC-SHA1(secret, username))."""
    username = f"{int(time.time()) + 3600}:{ident}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main():
    user, cred = turn_credentials(os.environ["TURN_SECRET"])
    ice = [{"urls": os.environ["TURN_URLS"].split(","), "username": user, "credential": cred}]

    docroot = tempfile.TemporaryDirectory()
    with open(os.path.join(docroot.name, "index.html"), "w") as f:
        f.write(PAGE)
    handler = partial(QuietHandler, directory=docroot.name)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/"  # secure context: getUserMedia allowed

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        a, b = browser.new_page(), browser.new_page()
        for page in (a, b):
            page.goto(url)
        a.evaluate("ice => makePc(ice, true)", ice)
        b.evaluate("ice => makePc(ice, false)", ice)
        t0 = time.monotonic()
        ans = b.evaluate("o => answer(o)", a.evaluate("offer()"))
        a.evaluate("a => pc.setRemoteDescription(a)", ans)

        st = {}
        while time.monotonic() - t0 < 30:
            st = b.evaluate("stats()")
            if st.get("framesDecoded", 0) > 30:
                break
            time.sleep(0.5)
        st["seconds"] = round(time.monotonic() - t0, 1)
        st["sender"] = a.evaluate("stats()").get("pair")
        browser.close()
    server.shutdown()
    docroot.cleanup()

    print(json.dumps(st, indent=2))
    pair = st.get("pair") or {}
    ok = (
        pair.get("local") == "relay"
        and pair.get("remote") == "relay"
        and st.get("framesDecoded", 0) > 0
    )
    print("OK: media flowed over TURN relay" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
