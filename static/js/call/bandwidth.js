// Bandwidth in a couple's or a family's call (mesh.js): with five people each page sends four
// video streams, so the more people there are, the smaller and thinner each one is. For the
// number of people in the call, every video sender of every connection gets a resolution and
// bit rate ceiling (RTCRtpSender.setParameters; nothing is renegotiated). Also reads whether
// a connection keeps up (the therapist is shown a note when one cannot).

// People in the call (the therapist included) → the height and bit rate each stream gets.
// Fewer frames too: each page encodes one stream per other person.
export const STEPS = {
  2: { height: 720, kbps: 1500, fps: 30 },
  3: { height: 540, kbps: 800, fps: 30 },
  4: { height: 450, kbps: 500, fps: 20 },
  5: { height: 360, kbps: 300, fps: 15 },
};

export function stepFor(people) {
  return STEPS[Math.max(2, Math.min(5, people))];
}

// Apply the step for `people` to the video senders of `pc`; returns what was set.
export async function tune(pc, people, log = () => {}) {
  const step = stepFor(people);
  const applied = [];
  for (const sender of pc.getSenders()) {
    if (!sender.track || sender.track.kind !== "video") continue;
    const params = sender.getParameters();
    if (!params.encodings || params.encodings.length === 0) continue; // not negotiated yet
    const height = sender.track.getSettings().height || step.height;
    const scale = Math.max(1, height / step.height);
    let changed = false;
    for (const encoding of params.encodings) {
      if (encoding.maxBitrate !== step.kbps * 1000 || encoding.scaleResolutionDownBy !== scale
          || encoding.maxFramerate !== step.fps) {
        encoding.maxBitrate = step.kbps * 1000;
        encoding.scaleResolutionDownBy = scale;
        encoding.maxFramerate = step.fps;
        changed = true;
      }
    }
    try {
      if (changed) await sender.setParameters(params);
      applied.push({ maxBitrate: step.kbps * 1000, scaleResolutionDownBy: scale });
    } catch (err) {
      log("bandwidth: could not set the sender's parameters", err);
    }
  }
  return applied;
}

// Whether the connection keeps up: what arrives from that person (frame rate, loss).
export async function reading(pc) {
  const r = { at: performance.now(), frames: 0, received: 0, lost: 0 };
  (await pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") r.frames += s.framesDecoded || 0;
    if (s.type === "inbound-rtp") {
      r.received += s.packetsReceived || 0;
      r.lost += Math.max(0, s.packetsLost || 0);
    }
  });
  return r;
}

export function keepsUp(last, now) {
  if (!last) return { ok: true, fps: null };
  const seconds = (now.at - last.at) / 1000;
  const fps = seconds > 0 ? (now.frames - last.frames) / seconds : null;
  const got = now.received - last.received;
  const lost = now.lost - last.lost;
  const loss = got + lost > 0 ? lost / (got + lost) : 0;
  return { ok: !(fps !== null && fps < 8) && loss <= 0.1, fps };
}
