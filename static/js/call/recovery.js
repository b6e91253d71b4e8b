// Keeps a call's peer connection alive through network trouble. Watches the connection the
// state machine (machine.js) owns and asks it to act; it never sets a session description.
//
// - ICE "disconnected" for a few seconds, "failed", or never connecting: the side that should
//   act (the impolite one, whose offers win) restarts ICE, and keeps retrying with back-off
//   while the network is down; every third attempt, or when an offer went unanswered, it
//   rebuilds the connection instead.
// - Media that stopped flowing (inbound bytesReceived not growing for several seconds while
//   every state still reads "connected", as after an ICE restart between Chromium and
//   Firefox): either side rebuilds the connection.
// - A description the connection could not apply (negotiation.js reports it): rebuild.
// Nothing is tried while the signaling socket is down or the other person is away: an offer
// sent then would be lost.

const TICK_MS = 1000;
const DISCONNECTED_GRACE_MS = 3000; // Wi-Fi blinks shorter than this heal by themselves
const CONNECT_GRACE_MS = 5000; // a new or restarted connection still checking
const STALL_MS = 6000; // connected, but no media arrived for this long
const OFFER_STUCK_MS = 8000; // our offer went unanswered (lost with a signaling drop)
const BACKOFF_MS = [1000, 2000, 4000, 5000]; // then every 5 s
const REBUILD_EVERY = 3; // attempts: restart, restart, rebuild, restart, restart, rebuild …
const MIN_REBUILD_GAP_MS = 3000;

// The session id of a description (its o= line): the same for every renegotiation of one
// connection, new for a new connection. Tells a rebuilt peer from a renegotiating one.
export function sessionId(description) {
  const match = description && description.sdp && /^o=\S+ (\d+) /m.exec(description.sdp);
  return match ? match[1] : null;
}

// Whether a description comes from another connection than the one ours negotiated with.
export function fromNewPeer(pc, description) {
  const current = pc.remoteDescription;
  if (!current || !description || description.type === "rollback") return false;
  const before = sessionId(current);
  const now = sessionId(description);
  return before !== null && now !== null && before !== now;
}

async function inboundBytes(pc) {
  let total = 0;
  (await pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp") total += s.bytesReceived || 0;
  });
  return total;
}

// impolite(): whether this side restarts ICE; active(): signaling is up and the other person
// present; expectsMedia(): false while the other side sends nothing on purpose (no stall
// then); restartIce(pc) and rebuild(reason): done by the machine.
export function createRecovery({ impolite, active, restartIce, rebuild, expectsMedia = () => true, log = () => {} }) {
  const r = { attempts: 0, nextAt: 0, lastRebuild: 0, counts: { restarts: 0, rebuilds: 0, stalls: 0 } };
  // The network is back: the next attempt need not wait out the back-off.
  window.addEventListener("online", () => {
    r.nextAt = 0;
  });

  function requestRebuild(reason) {
    const now = Date.now();
    if (now - r.lastRebuild < MIN_REBUILD_GAP_MS) return false;
    r.lastRebuild = now;
    r.counts.rebuilds += 1;
    if (reason === "stalled") r.counts.stalls += 1;
    log("rebuilding the connection:", reason);
    rebuild(reason);
    return true;
  }

  // Watch one connection until it closes; returns the function that stops watching.
  function watch(pc) {
    const w = { troubleSince: null, connectedSince: null, bytes: 0, grewAt: 0, flowed: false, offerSince: null };
    let busy = false;
    const timer = setInterval(async () => {
      if (pc.signalingState === "closed") {
        clearInterval(timer);
        return;
      }
      if (busy) return;
      busy = true;
      try {
        await tick(pc, w);
      } catch (err) {
        log("recovery check failed", err);
      } finally {
        busy = false;
      }
    }, TICK_MS);
    return () => clearInterval(timer);
  }

  async function tick(pc, w) {
    const now = Date.now();
    const ice = pc.iceConnectionState;
    const up = ice === "connected" || ice === "completed";
    if (up) {
      w.connectedSince ??= now;
      const bytes = await inboundBytes(pc);
      if (bytes > w.bytes) {
        w.bytes = bytes;
        w.grewAt = now;
        if (w.flowed || bytes > 0) {
          w.flowed = true;
          r.attempts = 0; // media flows: the next trouble starts the ladder again
        }
      }
    } else {
      w.connectedSince = null;
    }
    // Alone, or the signaling down: nothing to do, and no trouble counted (an offer waiting
    // for the other person to arrive is not one stuck).
    if (!active()) {
      w.activeSince = null;
      w.troubleSince = null;
      w.offerSince = null;
      return;
    }
    w.activeSince ??= now;
    w.offerSince = pc.signalingState === "have-local-offer" ? (w.offerSince ?? now) : null;
    if (up) {
      w.troubleSince = null;
      const since = Math.max(w.grewAt, w.connectedSince, w.activeSince);
      if (!expectsMedia()) w.grewAt = now;
      else if (w.flowed && now - since >= STALL_MS && requestRebuild("stalled")) w.grewAt = now;
      return;
    }
    if (pc.remoteDescription === null && pc.signalingState !== "have-local-offer") return;
    w.troubleSince ??= now;
    // Our offer never answered (sent while the signaling was down): start again.
    if (w.offerSince !== null && now - w.offerSince >= OFFER_STUCK_MS) {
      w.offerSince = now;
      requestRebuild("unanswered offer");
      return;
    }
    // An offer in flight: its answer first. Then the side that should act, after the grace.
    if (!impolite() || pc.signalingState !== "stable") return;
    const grace = ice === "failed" ? 0 : ice === "disconnected" ? DISCONNECTED_GRACE_MS : CONNECT_GRACE_MS;
    if (now - w.troubleSince < grace || now < r.nextAt) return;
    r.attempts += 1;
    r.nextAt = now + BACKOFF_MS[Math.min(r.attempts - 1, BACKOFF_MS.length - 1)];
    if (r.attempts % REBUILD_EVERY === 0) {
      requestRebuild(`ICE ${ice}`);
    } else {
      r.counts.restarts += 1;
      log("restarting ICE:", ice);
      restartIce(pc);
    }
  }

  return { watch, requestRebuild, counts: r.counts };
}
