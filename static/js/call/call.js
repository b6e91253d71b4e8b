// The Telehealth Waiting Room and the call page: wires the page (media, controls, view) to
// the call's state machine (machine.js), which owns the peer connection. Exposes
// window.__call for tests and the benchmark.
import { deviceCheck } from "./device-check.js";
import { wireMediaControls } from "./controls.js";
import { iceConfig, iceLoader } from "./ice.js";
import { getMedia, savedChoices } from "./devices.js";
import { createChat } from "./chat.js";
import { createHold } from "./hold.js";
import { createCallMachine } from "./machine.js";
import { negotiate } from "./negotiation.js";
import { selectedPair, startQualityReports } from "./quality.js";
import { Signaling } from "./signaling.js";
import { createTimer } from "./timer.js";
import { createRoomView } from "./waiting-room.js";

const root = document.getElementById("call-root");
const view = createRoomView(root);
const localVideo = document.getElementById("local-video");
const remoteVideo = document.getElementById("remote-video");
const $ = (id) => document.getElementById(id);

const state = { stream: new MediaStream(), ice: null, certificate: null, ended: false };
const isTherapist = root.dataset.role === "therapist";

function log(...args) {
  console.warn("[call]", ...args);
}

// In-call chat (peer to peer), hold and the timer: chat.js, hold.js, timer.js.
const chat = createChat({ peerName: view.peerName, log });
const hold = createHold({
  log,
  localTrack: (kind) => (kind === "video" && state.screen
    ? state.screen.getVideoTracks()[0]
    : state.stream.getTracks().find((t) => t.kind === kind)),
});
const timer = createTimer({
  el: $("call-timer"),
  note: $("end-note"),
  startedAt: root.dataset.startedAt,
  endsAt: root.dataset.endsAt,
  endsText: root.dataset.endsText,
  noteWanted: isTherapist,
});

const refreshIce = iceLoader(root.dataset.iceUrl, state, log);

async function startMedia() {
  try {
    // The camera already running from the device check on this page, else ask now.
    const media = (deviceCheck && deviceCheck.take()) || (await getMedia());
    state.stream = media.stream;
    machine.marks.media ??= performance.timeOrigin + performance.now();
    if (media.audioOnly) $("toggle-camera").hidden = true;
  } catch (err) {
    log("no local media", err);
    view.error("Your camera and microphone are not available. The other person won't see or hear you. Go back to the device check to fix this.");
  }
  localVideo.srcObject = state.stream;
}

// The therapist's page connects ahead, while they check their devices (?wait=1), and is
// present only once they press Start: the "join" command.
const connectAhead = Boolean(root.dataset.prejoin);
const signaling = new Signaling(root.dataset.wsPath + (connectAhead ? "?wait=1" : ""));

// The ICE servers (and relay policy) before any peer connection is made.
const iceReady = refreshIce();
const machine = createCallMachine({
  signaling,
  prepared: iceReady,
  polite: root.dataset.role === "client", // the server says so again in its welcome
  log,
  localStream: () => state.stream,
  iceConfig: () => iceConfig(state),
  on: {
    state: showState,
    remote: showRemote,
    channel: (channel) => chat.attach(channel),
    refreshIce: () => refreshIce({ background: true }),
    peerEnded() {
      // They pressed Leave: the session stays open, they can come back.
      state.peerLeft = true;
    },
    peerGone() {
      state.peerLeft = true; // away too long: shown as left (they can still come back)
    },
    message: handleOther,
    // On hold no media flows on purpose: not a stalled connection to rebuild (recovery.js).
    expectsMedia: () => !hold.on,
  },
});

function showState(now) {
  if (now === "waiting") {
    const left = state.peerLeft ? `${view.peerName} left the session. ` : "";
    state.peerLeft = false;
    view.waiting(left ? `${left}Waiting for ${view.peerName} to join` : undefined);
  } else if (now === "connecting") {
    view.connecting();
    setTimeout(sendMediaState, 500); // after the offer: it is what the other side waits for
  } else if (now === "connected") {
    sendMediaState(); // again: a connection rebuilt meanwhile may have missed a change
    timer.start();
    hold.apply(machine.pc);
    if (hold.on && !isTherapist) {
      showHold(true);
      return;
    }
    view.inCall();
    view.peerStatus(hold.on ? `${view.peerName} is on hold in the Waiting Room` : "");
  } else if (now === "reconnecting") {
    view.peerStatus(`${view.peerName} is reconnecting…`);
  }
}

function showRemote(stream, pc) {
  if (!stream) {
    remoteVideo.srcObject = null;
    return;
  }
  if (remoteVideo.srcObject === stream) return;
  remoteVideo.srcObject = stream;
  hold.apply(pc);
  markFirstFrame();
  // Show the video element now, so its first frame is drawn as soon as it arrives.
  if (hold.on && !isTherapist) return;
  view.inCall();
  if (pc.connectionState !== "connected") view.peerStatus("Connecting…");
  const speaker = savedChoices().speaker;
  if (speaker && remoteVideo.setSinkId) remoteVideo.setSinkId(speaker).catch(() => {});
}

// For the benchmark: when the first remote video frame was shown (ms since the epoch).
function markFirstFrame() {
  state.firstFrameAt = null;
  const shown = () => {
    state.firstFrameAt = performance.timeOrigin + performance.now();
    machine.marks.firstFrame ??= state.firstFrameAt;
  };
  // Without requestVideoFrameCallback (older Firefox), the first decoded frame's event.
  if (remoteVideo.requestVideoFrameCallback) remoteVideo.requestVideoFrameCallback(shown);
  else remoteVideo.addEventListener("loadeddata", shown, { once: true });
}

function sendMediaState() {
  // Reconnecting too: the switches go over the signaling, which may be up meanwhile.
  if (!["connecting", "connected", "reconnecting"].includes(machine.state)) return;
  const audio = state.stream.getAudioTracks().some((t) => t.enabled);
  const video = state.stream.getVideoTracks().some((t) => t.enabled);
  signaling.send({ type: "media", audio, video });
}

function finish(title, note = "") {
  state.ended = true;
  clearInterval(state.iceTimer);
  timer.stop();
  machine.end();
  signaling.close();
  state.stream.getTracks().forEach((t) => t.stop());
  view.ended(title, note);
}

// On hold (hold.js): the client is back in the Waiting Room; the therapist sees it on the tile.
function showHold(on) {
  const button = $("hold-call");
  if (button) {
    button.textContent = on ? `Bring ${view.peerName} back` : "Put on hold";
    button.setAttribute("aria-pressed", String(on));
    button.disabled = false;
  }
  if (isTherapist) {
    view.peerStatus(on ? `${view.peerName} is on hold in the Waiting Room` : "");
  } else if (on) {
    view.waiting(`${view.peerName} will be right back`);
    document.title = "On hold · Telehealth Waiting Room · Teletherapy";
  } else if (machine.state === "connected") {
    view.inCall();
  }
}

function setHold(on) {
  hold.set(on, machine.pc);
  showHold(on);
}

// Messages about the page rather than the connection.
function handleOther(msg) {
  switch (msg.type) {
    case "peer-media":
      view.peerMedia(msg);
      break;
    case "hold":
      setHold(Boolean(msg.on));
      break;
    case "session-ended":
      finish(`${view.peerName} ended the session`, "This session has ended. It can't be joined again.");
      break;
    case "replaced":
      finish("You opened this session in another window or device, so it was closed here");
      break;
    case "error":
      // Whatever was refused, the Hold button works again (it waits for the server's word).
      if ($("hold-call")) $("hold-call").disabled = false;
      // not_joined: the keep-alive ping of a page connected ahead, before Start.
      if (!["peer_absent", "peer_present", "not_joined"].includes(msg.code)) log("server said", msg.code);
      break;
    default:
      break;
  }
}

signaling.addEventListener("message", ({ detail: msg }) => {
  // Reloaded (or rebuilt) during a hold: hold again.
  if (msg.type === "welcome" && Boolean(msg.on_hold) !== hold.on) setHold(Boolean(msg.on_hold));
  machine.receive(msg);
  if (msg.type === "welcome" || msg.type === "peer-joined") {
    try {
      view.location(msg.client_location);
    } catch (err) {
      log(err);
    }
  }
});
signaling.addEventListener("open", () => {
  view.error("");
  if (connectAhead && state.joinWanted) signaling.send({ type: "join" });
  // A new connection is given the held offer again, if there still is one.
  else machine.forgetAhead();
});
signaling.addEventListener("close", ({ detail }) => {
  if (state.ended) return;
  if (detail.code === 4428) {
    location.assign(root.dataset.leaveUrl);
  } else if (detail.final && detail.code !== 4409) {
    finish("This session can't be joined now");
  } else if (!detail.final) {
    view.error("Connection to the server lost. Reconnecting…");
  }
});

// The call-quality record (History): a getStats() summary every 10 s, over the signaling socket.
state.quality = startQualityReports({ machine, signaling, localStream: () => state.stream, log });

// For tests and the benchmark.
window.__call = state;
state.machine = machine;
state.chat = chat;
state.hold = hold;
state.marks = machine.marks;
state.renewOffer = () => machine.renewOffer();
Object.defineProperty(state, "pc", { get: () => machine.pc });
Object.defineProperty(state, "negotiator", { get: () => machine.negotiator });

// --- Controls ---------------------------------------------------------------------------------

wireMediaControls({
  $,
  state,
  localVideo,
  sendMediaState,
  // The one peer connection; on hold it keeps sending nothing.
  useTrack: async (track, old) => {
    const pc = machine.pc;
    if (!pc) return;
    const sender = pc.getSenders().find((s) => s.track && s.track.kind === track.kind)
      || pc.getSenders().find((s) => s.track === old);
    if (hold.on) await hold.apply(pc);
    else if (sender) await sender.replaceTrack(track);
    else pc.addTrack(track, state.stream);
  },
  speakers: () => [remoteVideo],
  log,
  showError: (text) => view.error(text),
});

const isPhone = /Android|iPhone|iPad|iPod/.test(navigator.userAgent);
if (navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia && !isPhone) {
  $("share-screen").hidden = false;
}
$("share-screen").addEventListener("click", async (event) => {
  const button = event.target;
  if (state.screen) {
    state.screen.getTracks().forEach((t) => t.stop());
    return;
  }
  try {
    state.screen = await navigator.mediaDevices.getDisplayMedia({ video: true });
  } catch {
    return; // The person cancelled the picker.
  }
  const screenTrack = state.screen.getVideoTracks()[0];
  const sender = machine.pc && machine.pc.getSenders().find((s) => s.track && s.track.kind === "video");
  if (sender && !hold.on) await sender.replaceTrack(screenTrack);
  button.textContent = "Stop sharing";
  screenTrack.addEventListener("ended", async () => {
    state.screen = null;
    button.textContent = "Share screen";
    const camera = state.stream.getVideoTracks()[0];
    const current = machine.pc && machine.pc.getSenders().find((s) => s.track === screenTrack);
    if (current && camera) await current.replaceTrack(camera);
  });
});

// End for everyone (the therapist, after confirm.js asked): over the signaling socket; when
// it is not open, the form posts the same end to the server (as without JavaScript).
const endForm = $("end-form");
if (endForm) {
  endForm.addEventListener("submit", (event) => {
    if (!signaling.send({ type: "end" })) return;
    event.preventDefault();
    finish("You ended the session", "This session has ended for everyone. It can't be joined again.");
  });
}

$("leave-call").addEventListener("click", () => {
  signaling.send({ type: "leave" });
  finish("You left the session", `The session is still open: you can rejoin from your Dashboard until ${root.dataset.rejoinUntil}.`);
});

if ($("hold-call")) {
  $("hold-call").addEventListener("click", (event) => {
    event.target.disabled = true; // until the server has recorded it
    if (!signaling.send({ type: hold.on ? "resume" : "hold" })) event.target.disabled = false;
  });
}

// --- Connection quality -----------------------------------------------------------------------

let lastInbound = null;
async function measure() {
  const pc = machine.pc;
  if (!pc || pc.connectionState !== "connected") return;
  let rtt = null;
  let received = 0;
  let lost = 0;
  const stats = await pc.getStats();
  stats.forEach((s) => {
    if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded" && s.currentRoundTripTime !== undefined) rtt = s.currentRoundTripTime;
    if (s.type === "inbound-rtp") {
      received += s.packetsReceived || 0;
      lost += s.packetsLost || 0;
    }
  });
  const prev = lastInbound || { received: 0, lost: 0 };
  lastInbound = { received, lost };
  const dr = received - prev.received;
  const dl = lost - prev.lost;
  const loss = dr + dl > 0 ? dl / (dr + dl) : 0;
  if ((rtt !== null && rtt > 0.4) || loss > 0.08) view.quality("poor", "poor");
  else if ((rtt !== null && rtt > 0.2) || loss > 0.02) view.quality("fair", "fair");
  else view.quality("good", "good");
}
setInterval(measure, 2000);

// For tests and the benchmark: what is flowing, from getStats.
state.summary = async () => {
  const pc = machine.pc;
  if (!pc) return { connectionState: "none" };
  const out = { connectionState: pc.connectionState, framesDecoded: 0, audioPacketsReceived: 0 };
  const all = new Map();
  (await pc.getStats()).forEach((s) => all.set(s.id, s));
  for (const s of all.values()) {
    if (s.type === "inbound-rtp" && s.kind === "video") out.framesDecoded += s.framesDecoded || 0;
    if (s.type === "inbound-rtp" && s.kind === "audio") out.audioPacketsReceived += s.packetsReceived || 0;
  }
  const pair = selectedPair(all);
  if (pair) {
    out.localCandidateType = all.get(pair.localCandidateId)?.candidateType;
    out.remoteCandidateType = all.get(pair.remoteCandidateId)?.candidateType;
  }
  return out;
};

function join() {
  state.joinWanted = true;
  const mediaReady = Promise.all([startMedia(), iceReady]);
  // Say so first (with the offer applied ahead, if any), so the server lets the other
  // person know while the page redraws; answer once the media is ready.
  const open = signaling.socket && signaling.socket.readyState === WebSocket.OPEN;
  machine.start(mediaReady, { sendJoin: connectAhead && open });
  view.waiting();
  if (!connectAhead) signaling.open();
}

// Make the DTLS certificate while the person is still getting ready, not when they connect,
// and wake the browser's WebRTC machinery (network interfaces, threads) with a throwaway
// connection, so the real one starts warm.
RTCPeerConnection.generateCertificate({ name: "ECDSA", namedCurve: "P-256" })
  .then((certificate) => {
    state.certificate = certificate;
    const warm = new RTCPeerConnection({ certificates: [certificate] });
    negotiate(warm, { polite: true, send: () => warm.close() });
    warm.createDataChannel("warm-up");
  })
  .catch(() => {});
// TURN credentials are short-lived: keep a fresh set for the next connection.
state.iceTimer = setInterval(() => refreshIce({ background: true }), 10 * 60 * 1000);
if (connectAhead) {
  signaling.open();
  $("start-call").addEventListener("click", () => {
    $("device-check").hidden = true;
    join();
  }, { once: true });
} else {
  join();
}
