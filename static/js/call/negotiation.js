// Perfect negotiation (https://w3c.github.io/webrtc-pc/#perfect-negotiation-example).
// Knows nothing of the page: give it a peer connection, whether this side is polite (the
// server decides), and a function that sends {description} or {candidate} to the other side.

export function negotiate(pc, { polite, send, log = () => {} }) {
  let makingOffer = false;
  let ignoreOffer = false;
  let isSettingRemoteAnswerPending = false;

  pc.addEventListener("negotiationneeded", async () => {
    try {
      makingOffer = true;
      await pc.setLocalDescription();
      send({ description: pc.localDescription.toJSON() });
    } catch (err) {
      log("negotiation failed", err);
    } finally {
      makingOffer = false;
    }
  });

  pc.addEventListener("icecandidate", ({ candidate }) => {
    if (candidate && candidate.candidate) send({ candidate: candidate.toJSON() });
  });

  pc.addEventListener("iceconnectionstatechange", () => {
    // Ask for fresh candidates (and a new offer) instead of giving up.
    if (pc.iceConnectionState === "failed") pc.restartIce();
  });

  async function receive({ description, candidate }) {
    try {
      if (description) {
        const readyForOffer =
          !makingOffer && (pc.signalingState === "stable" || isSettingRemoteAnswerPending);
        const offerCollision = description.type === "offer" && !readyForOffer;
        ignoreOffer = !polite && offerCollision;
        if (ignoreOffer) return;
        isSettingRemoteAnswerPending = description.type === "answer";
        await pc.setRemoteDescription(description);
        isSettingRemoteAnswerPending = false;
        if (description.type === "offer") {
          await pc.setLocalDescription();
          send({ description: pc.localDescription.toJSON() });
        }
      } else if (candidate) {
        try {
          await pc.addIceCandidate(candidate);
        } catch (err) {
          if (!ignoreOffer) throw err;
        }
      }
    } catch (err) {
      log("could not apply signal", err);
    }
  }

  return { receive };
}
