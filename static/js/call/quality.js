// Call-quality reports: every 10 seconds, while in the call, a summary of the peer
// connection's getStats() goes to the server over the signaling socket, which keeps it for
// the session's quality record (the appointment's History). Also times each stretch the call
// spends reconnecting (a drop) and reports it once it is over. Knows the call only through
// the machine's state and peer connection; never changes either.

const PERIOD_MS = 10000;
const WATCH_MS = 500;
const CANDIDATE_TYPES = new Set(["host", "srflx", "prflx", "relay"]);
const STATES = new Set(["new", "connecting", "connected", "disconnected", "failed"]);

const round = (value, digits = 0) => {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

// The candidate pair in use, from a getStats() map (id -> report); null before there is one.
export function selectedPair(all) {
  for (const s of all.values()) {
    if (s.type === "transport" && s.selectedCandidatePairId) return all.get(s.selectedCandidatePairId);
  }
  // Firefox has no transport stats: the pair marked selected, or the nominated one in use.
  for (const s of all.values()) {
    if (s.type === "candidate-pair" && (s.selected || (s.nominated && s.state === "succeeded"))) return s;
  }
  return null;
}

// What this page's getStats() says now: totals (for the rates) and the current values.
export async function readStats(pc) {
  const all = new Map();
  (await pc.getStats()).forEach((s) => all.set(s.id, s));
  const now = { bytesIn: 0, bytesOut: 0, received: 0, lost: 0, jitter: null, fps: null, width: null, height: null };
  for (const s of all.values()) {
    if (s.type === "inbound-rtp") {
      now.bytesIn += s.bytesReceived || 0;
      now.received += s.packetsReceived || 0;
      now.lost += Math.max(0, s.packetsLost || 0);
      if (typeof s.jitter === "number") now.jitter = Math.max(now.jitter || 0, s.jitter * 1000);
      if (s.kind === "video" && s.frameHeight) {
        now.fps = s.framesPerSecond ?? now.fps;
        now.width = s.frameWidth;
        now.height = s.frameHeight;
      }
    } else if (s.type === "outbound-rtp") {
      now.bytesOut += s.bytesSent || 0;
    }
  }
  const pair = selectedPair(all);
  const type = (id) => {
    const t = id && all.get(id) ? all.get(id).candidateType : null;
    return CANDIDATE_TYPES.has(t) ? t : null;
  };
  now.rtt = pair && typeof pair.currentRoundTripTime === "number" ? pair.currentRoundTripTime * 1000 : null;
  now.local = pair ? type(pair.localCandidateId) : null;
  now.remote = pair ? type(pair.remoteCandidateId) : null;
  return now;
}

export function startQualityReports({ machine, signaling, localStream, log = () => {} }) {
  const q = { sent: 0, last: null, drops: [] };
  let before = null; // {pc, at, totals} of the previous report
  let downSince = null;
  let baselining = false;

  // The rates of the first report need a first look at the connection: take it on connecting.
  async function baseline(pc) {
    baselining = true;
    try {
      before = { pc, at: performance.now(), totals: await readStats(pc) };
    } finally {
      baselining = false;
    }
  }

  // Drops: from "reconnecting" back to "connected".
  const watch = setInterval(() => {
    const state = machine.state;
    const pc = machine.pc;
    if (state === "connected" && pc && !baselining && (!before || before.pc !== pc)) {
      baseline(pc).catch((err) => log("quality baseline", err));
    }
    if (state === "ended") {
      clearInterval(watch);
      clearInterval(timer);
    } else if (state === "reconnecting" && downSince === null) {
      downSince = performance.now();
    } else if (state === "connected" && downSince !== null) {
      q.drops.push({ end: performance.now(), lasted: performance.now() - downSince });
      downSince = null;
    } else if (state === "waiting") {
      downSince = null; // they left: not a drop of the connection
    }
  }, WATCH_MS);

  async function report() {
    const pc = machine.pc;
    if (!pc || (machine.state !== "connected" && machine.state !== "reconnecting")) return;
    if (!STATES.has(pc.connectionState)) return;
    const at = performance.now();
    const totals = await readStats(pc);
    const prev = before && before.pc === pc ? before : null;
    before = { pc, at, totals };
    if (!prev) return; // the first look at this connection: rates need two
    const ms = at - prev.at;
    const kbps = (bytes) => Math.max(0, Math.round((bytes * 8) / ms));
    const received = totals.received - prev.totals.received;
    const lost = Math.max(0, totals.lost - prev.totals.lost);
    const drops = q.drops.slice(0, 10).map((d) => [Math.round(at - d.end), Math.round(d.lasted)]);
    const message = {
      type: "quality",
      rtt: round(totals.rtt),
      jitter: round(totals.jitter),
      loss: received + lost > 0 ? round((100 * lost) / (received + lost), 1) : null,
      kbps_in: kbps(totals.bytesIn - prev.totals.bytesIn),
      kbps_out: kbps(totals.bytesOut - prev.totals.bytesOut),
      fps: round(totals.fps),
      width: totals.width || null,
      height: totals.height || null,
      local: totals.local,
      remote: totals.remote,
      audio_only: localStream().getVideoTracks().length === 0,
      state: pc.connectionState,
      drops,
    };
    if (signaling.send(message)) {
      q.drops.splice(0, drops.length);
      q.sent += 1;
      q.last = message;
    }
  }

  const timer = setInterval(() => report().catch((err) => log("quality report", err)), PERIOD_MS);
  return q;
}
