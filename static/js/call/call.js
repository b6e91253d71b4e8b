// The Telehealth Waiting Room and the call: local media, signaling, one RTCPeerConnection per
// meeting of the two participants, and the controls. Exposes window.__call for tests.
import { deviceCheck } from "./device-check.js";
import { fillDeviceSelects, getMedia, saveChoices, savedChoices } from "./devices.js";
import { negotiate } from "./negotiation.js";
import { Signaling } from "./signaling.js";
import { createRoomView } from "./waiting-room.js";

const root = document.getElementById("call-root");
const view = createRoomView(root);
const localVideo = document.getElementById("local-video");
const remoteVideo = document.getElementById("remote-video");
const $ = (id) => document.getElementById(id);

const state = {
  pc: null,
  negotiator: null,
  polite: false,
  stream: new MediaStream(),
  ice: null,
  ended: false,
  peerPresent: false,
  outbox: [],
};
window.__call = state;
// Milestones (ms since the epoch), read by the benchmark.
state.marks = { script: performance.timeOrigin + performance.now() };
const mark = (name) => {
  state.marks[name] ??= performance.timeOrigin + performance.now();
};

function log(...args) {
  console.warn("[call]", ...args);
}

async function loadIce({ background = false } = {}) {
  const relay = new URLSearchParams(location.search).get("relay") === "1" ? "?relay=1" : "";
  // A refresh on a timer is not the person being active (idle sign-out still applies).
  const headers = background ? { "X-Background": "1" } : {};
  const response = await fetch(root.dataset.iceUrl + relay, { credentials: "same-origin", headers });
  if (!response.ok) throw new Error(`ICE servers: ${response.status}`);
  return response.json();
}

async function startMedia() {
  try {
    // The camera already running from the device check on this page, else ask now.
    const media = (deviceCheck && deviceCheck.take()) || (await getMedia());
    state.stream = media.stream;
    mark("media");
    if (media.audioOnly) $("toggle-camera").hidden = true;
  } catch (err) {
    log("no local media", err);
    view.error("Your camera and microphone are not available. The other person won't see or hear you. Go back to the device check to fix this.");
  }
  localVideo.srcObject = state.stream;
}

// While alone, the offer is made ahead (and its candidates gathered) and held back; it goes
// out, in one message, the moment the other person arrives.
function sendSignal(payload) {
  if (!state.peerPresent) {
    state.outbox.push(payload);
    return;
  }
  state.pcUsed = true;
  mark(payload.description ? `sent-${payload.description.type}` : "sentCandidate");
  signaling.send({ type: "signal", ...payload });
}

function flushOutbox() {
  const { pc, outbox } = state;
  state.outbox = [];
  state.pcUsed = true;
  if (pc && pc.signalingState === "have-local-offer" && pc.iceGatheringState === "complete") {
    sendSignal({ description: pc.localDescription.toJSON() }); // every candidate is in it
  } else {
    outbox.forEach(sendSignal);
  }
}

const HELD_OFFER_MAX_AGE_MS = 10 * 60 * 1000;

function closePeer() {
  state.outbox = [];
  state.aheadPc = null;
  state.aheadStream = null;
  state.answeredAhead = false;
  if (state.pc) {
    state.pc.close();
    state.pc = null;
    state.negotiator = null;
  }
  remoteVideo.srcObject = null;
}

// Synchronous on purpose: the other side's offer may arrive right after presence news.
function startPeer() {
  const pc = newPeer();
  state.pcUsed = state.peerPresent;
  if (!state.peerPresent) {
    // A long wait: make a fresh offer now and then (its TURN credentials are short-lived).
    state.renewTimer = setTimeout(() => {
      if (state.pc === pc && !state.peerPresent && !state.pcUsed) startPeer();
    }, HELD_OFFER_MAX_AGE_MS);
  }
  addTracks(pc);
}

function newPeer() {
  closePeer();
  const pc = new RTCPeerConnection({
    iceServers: state.ice ? state.ice.iceServers : [],
    iceTransportPolicy: state.ice ? state.ice.iceTransportPolicy : "all",
    ...(state.certificate ? { certificates: [state.certificate] } : {}),
  });
  state.pc = pc;
  clearTimeout(state.renewTimer);
  mark("pcNew");
  pc.addEventListener("signalingstatechange", () => mark(`sig-${pc.signalingState}`));
  pc.addEventListener("icegatheringstatechange", () => {
    mark(`gather-${pc.iceGatheringState}`);
    // Alone with an offer ready: leave it with the server, which hands it to the other
    // person the moment they arrive (one trip less). Every candidate is in it by now.
    if (pc === state.pc && !state.peerPresent && pc.iceGatheringState === "complete"
        && pc.signalingState === "have-local-offer") {
      signaling.send({ type: "signal", description: pc.localDescription.toJSON() });
    }
  });
  state.negotiator = negotiate(pc, {
    polite: state.polite,
    send: sendSignal,
    log,
  });
  pc.addEventListener("track", ({ track, streams }) => {
    const stream = streams[0] || new MediaStream([track]);
    // From an offer applied ahead: show the other person once this person presses Start.
    if (!state.joinWanted) state.aheadStream = stream;
    else showRemote(pc, stream);
  });
  pc.addEventListener("connectionstatechange", () => {
    if (pc !== state.pc) return;
    if (pc.connectionState === "connected") {
      mark("connected");
      view.inCall();
      view.peerStatus("");
    } else if (pc.connectionState === "disconnected" || pc.connectionState === "failed") {
      view.peerStatus(`${view.peerName} is reconnecting…`);
    }
  });
  return pc;
}

function addTracks(pc) {
  for (const track of state.stream.getTracks()) pc.addTrack(track, state.stream);
  // Receive both kinds even when sending audio only (no camera), unless an offer applied
  // ahead brought a transceiver of that kind already.
  const has = (kind) => pc.getTransceivers().some((t) => t.receiver.track.kind === kind);
  if (state.stream.getVideoTracks().length === 0 && !has("video")) pc.addTransceiver("video", { direction: "recvonly" });
  if (state.stream.getAudioTracks().length === 0 && !has("audio")) pc.addTransceiver("audio", { direction: "recvonly" });
}

function showRemote(pc, stream) {
  if (remoteVideo.srcObject === stream) return;
  remoteVideo.srcObject = stream;
  markFirstFrame();
  // Show the video element now, so its first frame is drawn as soon as it arrives.
  view.inCall();
  if (pc.connectionState !== "connected") view.peerStatus("Connecting…");
  const speaker = savedChoices().speaker;
  if (speaker && remoteVideo.setSinkId) remoteVideo.setSinkId(speaker).catch(() => {});
}

// Waiting ahead (the device check), the other person's held offer comes from the server:
// apply it now, so Start only has to answer it. Nothing is sent and no media or ICE flows
// before Start (no local description until then). None: they withdrew it.
async function applyOfferAhead(description) {
  await iceReady;
  closePeer();
  if (!description) return;
  const pc = newPeer();
  state.aheadPc = pc;
  try {
    await pc.setRemoteDescription(description);
  } catch (err) {
    log("could not apply the held offer", err);
    if (state.pc === pc) closePeer();
    return;
  }
  if (state.joinWanted) await answerAhead(pc);
}

// Start with the held offer applied: answer right after "join", without waiting for the
// welcome (the server handles the two in that order). The welcome then says for sure.
async function answerAhead(pc) {
  if (state.pc !== pc || state.aheadPc !== pc || state.answeredAhead) return;
  if (pc.signalingState !== "have-remote-offer") return;
  state.peerPresent = true;
  state.pcUsed = true;
  state.answeredAhead = true;
  mark("answerAhead");
  addTracks(pc);
  const answered = pc.setLocalDescription();
  if (state.aheadStream) showRemote(pc, state.aheadStream);
  try {
    await answered;
    if (state.pc === pc) sendSignal({ description: pc.localDescription.toJSON() });
  } catch (err) {
    log("could not answer the held offer", err);
  }
}

// For the benchmark: when the first remote video frame was shown (ms since the epoch).
function markFirstFrame() {
  state.firstFrameAt = null;
  if (!remoteVideo.requestVideoFrameCallback) return;
  remoteVideo.requestVideoFrameCallback(() => {
    state.firstFrameAt = performance.timeOrigin + performance.now();
    mark("firstFrame");
  });
}

function sendMediaState() {
  if (!state.peerPresent) return;
  const audio = state.stream.getAudioTracks().some((t) => t.enabled);
  const video = state.stream.getVideoTracks().some((t) => t.enabled);
  signaling.send({ type: "media", audio, video });
}

function finish(title) {
  state.ended = true;
  clearInterval(state.iceTimer);
  closePeer();
  signaling.close();
  state.stream.getTracks().forEach((t) => t.stop());
  view.ended(title);
}

// The therapist's page connects ahead, while they check their devices (?wait=1), and is
// present only once they press Start: the "join" command.
const connectAhead = Boolean(root.dataset.prejoin);
const signaling = new Signaling(root.dataset.wsPath + (connectAhead ? "?wait=1" : ""));
signaling.addEventListener("open", () => {
  if (connectAhead && state.joinWanted) signaling.send({ type: "join" });
  // A new connection is given the held offer again, if there still is one.
  else if (state.aheadPc) inbox = inbox.then(() => applyOfferAhead(null));
});

// Connect while the camera starts; act on messages, in order, once it has.
let mediaReady = null;
let inbox = Promise.resolve();
signaling.addEventListener("message", ({ detail: msg }) => {
  inbox = inbox.then(() => mediaReady).then(() => handle(msg));
});

function handle(msg) {
  switch (msg.type) {
    case "welcome":
      mark("welcome");
      state.polite = msg.polite;
      state.peerPresent = msg.peer_present;
      view.location(msg.client_location);
      clearTimeout(state.offerTimer);
      if (msg.peer_present && state.answeredAhead && state.pc) {
        // Their offer was answered on Start already.
        state.answeredAhead = false;
        view.connecting();
        setTimeout(sendMediaState, 500);
      } else if (msg.peer_present) {
        // The one who was waiting has an offer ready and sends it now; answering it
        // (instead of offering too) saves a round. Offer ourselves only if it does not come.
        closePeer();
        view.connecting();
        setTimeout(sendMediaState, 500);
        state.offerTimer = setTimeout(() => state.pc || startPeer(), 2000);
      } else {
        view.waiting();
        startPeer();
      }
      break;
    case "peer-joined": {
      mark("peerJoined");
      state.peerPresent = true;
      clearTimeout(state.offerTimer);
      view.location(msg.client_location);
      view.connecting();
      const held = state.pc && !state.pcUsed;
      if (held && msg.offer_sent) {
        state.pcUsed = true; // the server passed our offer on
        state.outbox = [];
      } else if (held) {
        flushOutbox();
      } else {
        startPeer();
      }
      setTimeout(sendMediaState, 500); // after the offer: it is what the other side waits for
      break;
    }
    case "held-offer":
      return applyOfferAhead(msg.description);
    case "peer-left":
      state.peerPresent = false;
      if (msg.ended && root.dataset.role === "client") {
        finish(`${view.peerName} ended the session`);
      } else if (msg.ended) {
        view.waiting(`${view.peerName} left the session. Waiting for ${view.peerName} to join`);
        startPeer(); // ready for their return
      } else {
        view.peerStatus(`${view.peerName} is reconnecting…`);
      }
      break;
    case "signal":
      mark(msg.description ? `first-${msg.description.type}` : "firstCandidate");
      if (!state.pc && msg.description && msg.description.type === "offer") {
        clearTimeout(state.offerTimer);
        startPeer();
      }
      if (state.negotiator) state.negotiator.receive(msg);
      break;
    case "peer-media":
      view.peerMedia(msg);
      break;
    case "replaced":
      finish("You opened this session in another window or device, so it was closed here");
      break;
    case "ended":
      break;
    case "error":
      if (msg.code !== "peer_absent") log("server said", msg.code);
      break;
    default:
      break;
  }
}

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
signaling.addEventListener("open", () => view.error(""));

// --- Controls ---------------------------------------------------------------------------------

$("toggle-mic").addEventListener("click", (event) => {
  const tracks = state.stream.getAudioTracks();
  const muted = tracks.some((t) => t.enabled);
  tracks.forEach((t) => (t.enabled = !muted));
  event.target.textContent = muted ? "Unmute" : "Mute";
  event.target.setAttribute("aria-pressed", String(muted));
  sendMediaState();
});

$("toggle-camera").addEventListener("click", (event) => {
  const tracks = state.stream.getVideoTracks();
  const off = tracks.some((t) => t.enabled);
  tracks.forEach((t) => (t.enabled = !off));
  event.target.textContent = off ? "Camera on" : "Camera off";
  event.target.setAttribute("aria-pressed", String(off));
  sendMediaState();
});

$("toggle-devices").addEventListener("click", async (event) => {
  const drawer = $("device-drawer");
  drawer.hidden = !drawer.hidden;
  event.target.setAttribute("aria-expanded", String(!drawer.hidden));
  if (!drawer.hidden) await fillDeviceSelects(drawer);
});

async function replaceTrack(kind, deviceId) {
  const constraint = deviceId ? { deviceId: { exact: deviceId } } : true;
  const fresh = await navigator.mediaDevices.getUserMedia({ [kind]: constraint });
  const track = kind === "video" ? fresh.getVideoTracks()[0] : fresh.getAudioTracks()[0];
  const old = kind === "video" ? state.stream.getVideoTracks()[0] : state.stream.getAudioTracks()[0];
  if (old) {
    track.enabled = old.enabled;
    state.stream.removeTrack(old);
    old.stop();
  }
  state.stream.addTrack(track);
  if (state.pc) {
    const sender = state.pc.getSenders().find((s) => s.track && s.track.kind === track.kind)
      || state.pc.getSenders().find((s) => s.track === old);
    if (sender) await sender.replaceTrack(track);
    else state.pc.addTrack(track, state.stream);
  }
  localVideo.srcObject = state.stream;
}

// The panel is shared with the device check (ids carry a prefix): go by data-device.
$("device-drawer").addEventListener("change", async (event) => {
  const { value, dataset } = event.target;
  try {
    if (dataset.device === "camera") {
      saveChoices({ camera: value });
      await replaceTrack("video", value);
    } else if (dataset.device === "mic") {
      saveChoices({ mic: value });
      await replaceTrack("audio", value);
    } else if (dataset.device === "speaker") {
      saveChoices({ speaker: value });
      if (remoteVideo.setSinkId) await remoteVideo.setSinkId(value);
    }
  } catch (err) {
    log(err);
    view.error("That device could not be used. Choose another one.");
  }
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
  const sender = state.pc && state.pc.getSenders().find((s) => s.track && s.track.kind === "video");
  if (sender) await sender.replaceTrack(screenTrack);
  button.textContent = "Stop sharing";
  screenTrack.addEventListener("ended", async () => {
    state.screen = null;
    button.textContent = "Share screen";
    const camera = state.stream.getVideoTracks()[0];
    const current = state.pc && state.pc.getSenders().find((s) => s.track === screenTrack);
    if (current && camera) await current.replaceTrack(camera);
  });
});

$("end-call").addEventListener("click", () => {
  signaling.send({ type: "end" });
  finish("You ended the session");
});

// --- Connection quality -----------------------------------------------------------------------

let lastInbound = null;
async function measure() {
  const pc = state.pc;
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
  const pc = state.pc;
  if (!pc) return { connectionState: "none" };
  const out = { connectionState: pc.connectionState, framesDecoded: 0, audioPacketsReceived: 0 };
  const all = new Map();
  (await pc.getStats()).forEach((s) => all.set(s.id, s));
  for (const s of all.values()) {
    if (s.type === "inbound-rtp" && s.kind === "video") out.framesDecoded += s.framesDecoded || 0;
    if (s.type === "inbound-rtp" && s.kind === "audio") out.audioPacketsReceived += s.packetsReceived || 0;
    if (s.type === "transport" && s.selectedCandidatePairId) {
      const pair = all.get(s.selectedCandidatePairId);
      if (pair) {
        out.localCandidateType = all.get(pair.localCandidateId)?.candidateType;
        out.remoteCandidateType = all.get(pair.remoteCandidateId)?.candidateType;
      }
    }
  }
  return out;
};

async function refreshIce(options) {
  try {
    state.ice = await loadIce(options);
  } catch (err) {
    log(err);
  }
}

function join() {
  state.joinWanted = true;
  // Say so first; the page can redraw while the server lets the other person know.
  if (connectAhead) signaling.send({ type: "join" }); // if not open yet, "open" sends it
  mediaReady = Promise.all([startMedia(), iceReady]);
  const ahead = signaling.socket && signaling.socket.readyState === WebSocket.OPEN && state.aheadPc;
  // With the camera running from the device check, answer now; else once media is ready.
  // (An offer still being applied is answered by applyOfferAhead when done.)
  if (ahead && state.stream.getTracks().length) answerAhead(ahead);
  else if (ahead) inbox = inbox.then(() => mediaReady).then(() => answerAhead(ahead));
  view.waiting();
  if (!connectAhead) signaling.open();
}

const iceReady = refreshIce();
// Make the DTLS certificate while the person is still getting ready, not when they connect,
// and wake the browser's WebRTC machinery (network interfaces, threads) with a throwaway
// connection, so the real one starts warm.
RTCPeerConnection.generateCertificate({ name: "ECDSA", namedCurve: "P-256" })
  .then(async (certificate) => {
    state.certificate = certificate;
    const warm = new RTCPeerConnection({ certificates: [certificate] });
    warm.createDataChannel("warm-up");
    await warm.setLocalDescription();
    warm.close();
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
