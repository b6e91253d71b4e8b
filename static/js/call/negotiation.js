// Perfect negotiation (https://w3c.github.io/webrtc-pc/#perfect-negotiation-example).
// Knows nothing of the page: give it a peer connection, whether this side is polite (the
// server decides), and a function that sends {description} or {candidate} to the other side.
// Every session description of the call is set here, and only here.
//
// holdAnswers: an offer received is applied but answered only on release() (the person
// pressing Start), so nothing is sent and no ICE or media flows before that.

export function negotiate(pc, { polite, send, log = () => {}, holdAnswers = false }) {
  let makingOffer = false;
  let ignoreOffer = false;
  let isSettingRemoteAnswerPending = false;
  let holding = holdAnswers;

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

  async function answer() {
    await pc.setLocalDescription();
    send({ description: pc.localDescription.toJSON() });
  }

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
        if (description.type === "offer" && !holding) await answer();
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

  // Stop holding: answer the offer applied meanwhile, if any, and every later one at once.
  async function release() {
    holding = false;
    if (pc.signalingState !== "have-remote-offer") return;
    try {
      await answer();
    } catch (err) {
      log("could not answer", err);
    }
  }

  return { receive, release };
}
