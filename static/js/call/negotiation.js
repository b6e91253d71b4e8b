// Perfect negotiation (https://w3c.github.io/webrtc-pc/#perfect-negotiation-example).
// Knows nothing of the page: give it a peer connection, whether this side is polite (the
// server decides), and a function that sends {description} or {candidate} to the other side.
// Every session description of the call is set here, and only here.
//
// holdAnswers: an offer received is applied but answered only on release() (the person
// pressing Start), so nothing is sent and no ICE or media flows before that.
//
// A description that cannot be applied (an answer refused, as "Failed to set SSL role" after
// an ICE restart between Chromium and Firefox) never leaves it stuck: a local offer is rolled
// back, so the connection is stable and takes the next offer, and onFailure is told (the
// caller rebuilds the connection). ICE restarts are the caller's (recovery.js).

export function negotiate(pc, { polite, send, log = () => {}, holdAnswers = false, onFailure = () => {} }) {
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
        try {
          await pc.setRemoteDescription(description);
          if (description.type === "offer" && !holding) await answer();
        } catch (err) {
          await unstick();
          log("could not apply a description", description.type, err);
          onFailure(description.type, err);
          return;
        } finally {
          isSettingRemoteAnswerPending = false;
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

  // Back to "stable" after a failure half-way, so the next offer is taken, not refused.
  async function unstick() {
    if (pc.signalingState !== "have-local-offer" && pc.signalingState !== "have-remote-offer") return;
    try {
      await pc.setLocalDescription({ type: "rollback" });
    } catch (err) {
      log("could not roll back", err);
    }
  }

  // Offer again as things stand (no change): the answer tells whether the other side still
  // has the connection this one negotiated with.
  async function offer() {
    if (pc.signalingState !== "stable" || makingOffer) return;
    try {
      makingOffer = true;
      await pc.setLocalDescription();
      send({ description: pc.localDescription.toJSON() });
    } catch (err) {
      log("could not offer", err);
    } finally {
      makingOffer = false;
    }
  }

  // Stop holding: answer the offer applied meanwhile, if any, and every later one at once.
  async function release() {
    holding = false;
    if (pc.signalingState !== "have-remote-offer") return;
    try {
      await answer();
    } catch (err) {
      await unstick();
      log("could not answer", err);
      onFailure("offer", err);
    }
  }

  return { receive, release, offer };
}
