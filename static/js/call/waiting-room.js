// What the person sees around the video: the Telehealth Waiting Room, the call, the end.
const $ = (id) => document.getElementById(id);

export function createRoomView(root) {
  const peerName = root.dataset.peerName;
  return {
    peerName,
    waiting(text = `Waiting for ${peerName} to join`) {
      root.dataset.state = "waiting";
      $("waiting-room").hidden = false;
      $("waiting-status").textContent = text;
      this.peerStatus("");
      document.title = "Telehealth Waiting Room · Teletherapy";
    },
    connecting() {
      // The client hears that the therapist is ready for them, not a bare "is here".
      const here = root.dataset.role === "client" ? "is ready for you" : "is here";
      $("waiting-status").textContent = `${peerName} ${here}. Connecting…`;
    },
    inCall() {
      root.dataset.state = "call";
      $("waiting-room").hidden = true;
      this.peerStatus("");
      document.title = `Teletherapy session with ${peerName} · Teletherapy`;
    },
    peerStatus(text) {
      $("peer-status").textContent = text;
      $("peer-status").hidden = !text;
    },
    peerMedia({ audio, video }) {
      const parts = [];
      if (!audio) parts.push(`${peerName} is muted`);
      if (!video) parts.push(`${peerName}'s camera is off`);
      $("peer-media").textContent = parts.join(" · ");
      $("peer-media").hidden = parts.length === 0;
    },
    location(loc) {
      const box = $("client-location");
      if (!box || !loc) return;
      box.hidden = false;
      $("client-location-name").textContent = loc.name;
      $("license-state").textContent = loc.name;
      $("license-warning").hidden = loc.licensed;
    },
    quality(level, text) {
      const el = $("quality");
      el.dataset.level = level;
      el.textContent = `Connection: ${text}`;
    },
    error(text) {
      $("call-error").textContent = text;
      $("call-error").hidden = !text;
    },
    ended(title = "The session has ended", note = "") {
      root.dataset.state = "ended";
      $("waiting-room").hidden = true;
      $("call-ended-title").textContent = title;
      $("call-ended-note").textContent = note;
      $("call-ended-note").hidden = !note;
      $("call-ended").hidden = false;
      document.title = `${title} · Teletherapy`;
      // Focus lands on what follows: the heading of the page as it is now.
      $("call-ended-title").focus();
    },
  };
}
