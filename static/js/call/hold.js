// Hold: the therapist puts the client back into the Waiting Room. Media stops both ways: each
// side sends nothing (its senders' tracks replaced with null) and mutes what it receives.
// The server records it and tells both pages ({"type": "hold", "on"}); a page rebuilt or
// reloaded during the hold applies it again to its new connection.
export function createHold({ localTrack, log }) {
  const hold = { on: false };

  function transceivers(pc) {
    return pc.getTransceivers().filter((t) => !t.stopped && t.currentDirection !== "stopped");
  }

  async function apply(pc) {
    if (!pc || pc.signalingState === "closed") return;
    for (const t of transceivers(pc)) {
      const kind = t.receiver.track.kind;
      t.receiver.track.enabled = !hold.on;
      const wanted = hold.on ? null : localTrack(kind) || null;
      if (t.sender.track === wanted) continue;
      // Only the tracks this page sends; a receive-only transceiver has none to restore.
      if (!hold.on && !t.sender.track && !wanted) continue;
      try {
        await t.sender.replaceTrack(wanted);
      } catch (err) {
        log("hold: could not replace a track", err);
      }
    }
  }

  return {
    apply,
    set(on, pc) {
      hold.on = on;
      return apply(pc);
    },
    get on() { return hold.on; },
  };
}
