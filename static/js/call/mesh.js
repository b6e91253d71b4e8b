// A couple's or a family's call: a full mesh, one peer connection per other person, each run
// by its own instance of the call's state machine (machine.js, which negotiates through
// negotiation.js and recovers through recovery.js, exactly as in the two-person call). The
// server (video/mesh.py) says who is there ("welcome" with its people, "joined", "left"),
// which side of each pair is polite, and relays each signal to the one person it is `to`.
// One person's connection failing is that pair's own: recovered or rebuilt on its own, the
// others go on. Exposes window.__call for tests and the benchmark.
import { keepsUp, reading, tune } from "./bandwidth.js";
import { createChat } from "./chat.js";
import { createHold } from "./hold.js";
import { deviceCheck } from "./device-check.js";
import { wireMediaControls } from "./controls.js";
import { iceConfig, iceLoader } from "./ice.js";
import { getMedia } from "./devices.js";
import { createCallMachine } from "./machine.js";
import { Signaling } from "./signaling.js";
import { createTimer } from "./timer.js";
import { createRoomView } from "./waiting-room.js";

const root = document.getElementById("call-root");
const view = createRoomView(root);
const grid = document.getElementById("mesh-grid");
const localVideo = document.getElementById("local-video");
const $ = (id) => document.getElementById(id);
const isTherapist = root.dataset.role === "therapist";
const EARLY_MAX = 200; // signals kept for someone the server has not introduced yet

const state = {
  stream: new MediaStream(),
  ice: null,
  certificate: null,
  ended: false,
  me: null,
  peers: new Map(), // participation id → {person, machine, tile, last}
  early: new Map(), // participation id → signals that came before "joined"
  inCall: false,
  held: new Set(), // the others on hold (participation ids)
  onHold: false, // this person, put on hold by the therapist
};

function log(...args) {
  console.warn("[mesh]", ...args);
}

const chat = createChat({ peerName: view.peerName, log });
const timer = createTimer({
  el: $("call-timer"),
  note: $("end-note"),
  startedAt: root.dataset.startedAt,
  endsAt: root.dataset.endsAt,
  endsText: root.dataset.endsText,
  noteWanted: isTherapist,
});

const refreshIce = iceLoader(root.dataset.iceUrl, state, log);
const iceReady = refreshIce();
let mediaReady = null;

async function startMedia() {
  try {
    const media = (deviceCheck && deviceCheck.take()) || (await getMedia());
    state.stream = media.stream;
    if (media.audioOnly) $("toggle-camera").hidden = true;
  } catch (err) {
    log("no local media", err);
    view.error("Your camera and microphone are not available. The others won't see or hear you. Go back to the device check to fix this.");
  }
  localVideo.srcObject = state.stream;
}

const signaling = new Signaling(root.dataset.wsPath);

// --- People ---------------------------------------------------------------------------------

function makeTile(person) {
  const tile = $("tile-template").content.firstElementChild.cloneNode(true);
  tile.dataset.peer = String(person.id);
  tile.querySelector(".tile-name").textContent = person.name;
  tile.querySelector("video").setAttribute("aria-label", person.name);
  const menu = tile.querySelector(".tile-menu");
  if (menu) {
    menu.querySelector("summary").textContent = `Options for ${person.name}`;
    const hold = menu.querySelector(".tile-hold");
    hold.addEventListener("click", () => {
      hold.disabled = true; // until the server has recorded it
      const on = !state.held.has(person.id);
      if (!signaling.send({ type: on ? "hold-person" : "resume-person", id: person.id })) hold.disabled = false;
    });
    const together = menu.querySelector(".tile-together");
    together.addEventListener("click", () => signaling.send({ type: "together", id: person.id }));
    const remove = menu.querySelector(".tile-remove");
    remove.dataset.confirm = `Remove ${person.name} from the session?`;
    remove.dataset.confirmConsequence = `Their call ends and they can't join this session again. The call goes on for everyone else.`;
    remove.addEventListener("click", () => signaling.send({ type: "remove-person", id: person.id }));
  }
  grid.append(tile);
  return tile;
}

// A pair whose either side is on hold sends nothing and plays nothing (hold.js).
function paused(peer) {
  return state.onHold || state.held.has(peer.person.id);
}

function applyHold(peer) {
  const on = paused(peer);
  peer.tile.dataset.held = state.held.has(peer.person.id) ? "1" : "";
  const button = peer.tile.querySelector(".tile-hold");
  if (button) {
    button.disabled = false;
    button.textContent = state.held.has(peer.person.id) ? `Bring ${peer.person.name} back` : "Put on hold";
    button.setAttribute("aria-pressed", String(state.held.has(peer.person.id)));
  }
  if (state.held.has(peer.person.id)) tileStatus(peer, `${peer.person.name} is on hold in the Waiting Room`);
  else if (peer.tile.querySelector(".tile-status").textContent.includes("on hold")) tileStatus(peer, "");
  return peer.hold.set(on, peer.machine.pc);
}

function tileStatus(peer, text) {
  const el = peer.tile.querySelector(".tile-status");
  el.textContent = text;
  el.hidden = !text;
}

function addPeer(person) {
  if (state.peers.has(person.id)) return;
  const id = person.id;
  // This pair's own signaling: what its machine sends goes to this person only.
  const link = {
    send: (msg) => (msg.type === "signal" ? signaling.send({ ...msg, to: id }) : false),
    isOpen: () => signaling.isOpen(),
  };
  const peer = { person, tile: makeTile(person), last: null, slow: false };
  peer.hold = createHold({ log, localTrack: (kind) => state.stream.getTracks().find((t) => t.kind === kind) });
  peer.machine = createCallMachine({
    signaling: link,
    prepared: iceReady,
    polite: person.polite,
    log: (...args) => log(person.name, ...args),
    localStream: () => state.stream,
    iceConfig: () => iceConfig(state),
    on: {
      state: (now) => peerState(peer, now),
      remote: (stream) => {
        const video = peer.tile.querySelector("video");
        if (video.srcObject !== stream) video.srcObject = stream || null;
      },
      channel: (channel) => chat.attach(channel, person.name),
      refreshIce: () => refreshIce({ background: true }),
      peerEnded() {},
      peerGone() {},
      message() {},
      // On hold no media flows on purpose: not a stalled connection to rebuild.
      expectsMedia: () => !paused(peer),
    },
  });
  state.peers.set(id, peer);
  peer.machine.start(mediaReady, { sendJoin: false });
  // Both here: the impolite side offers at once, the polite one waits for it (and offers
  // itself if none comes: perfect negotiation settles a collision either way).
  peer.machine.receive({ type: "welcome", polite: person.polite, peer_present: true });
  if (!person.polite) peer.machine.receive({ type: "peer-joined" });
  const early = state.early.get(id) || [];
  state.early.delete(id);
  early.forEach((msg) => peer.machine.receive(msg));
  layout();
  if (isTherapist && person.location) showLocations();
}

function removePeer(id) {
  const peer = state.peers.get(id);
  state.early.delete(id);
  if (!peer) return;
  state.peers.delete(id);
  peer.machine.end();
  peer.tile.remove();
  layout();
  if (isTherapist) showLocations();
}

function removeAll() {
  [...state.peers.keys()].forEach((id) => removePeer(id));
}

function peerState(peer, now) {
  if (now === "connected") {
    tileStatus(peer, "");
    applyHold(peer);
    retune();
    if (!state.inCall) {
      state.inCall = true;
      timer.start();
    }
  } else if (now === "connecting") {
    tileStatus(peer, "Connecting…");
  } else if (now === "reconnecting") {
    tileStatus(peer, `${peer.person.name} is reconnecting…`);
  }
  showRoom();
}

// Who the page shows: the Waiting Room while no one else is here, the grid once someone is.
function showRoom() {
  if (state.ended) return;
  if (state.onHold) {
    view.waiting(`${root.dataset.peerName} will be right back`);
    document.title = "On hold · Telehealth Waiting Room · Teletherapy";
    return;
  }
  if (state.peers.size === 0) {
    state.inCall = false;
    view.waiting();
    return;
  }
  if (root.dataset.state !== "call") view.inCall();
}

function layout() {
  grid.dataset.count = String(state.peers.size + 1);
  retune();
  showRoom();
}

// Bandwidth steps (bandwidth.js): every sender for the number of people now in the call.
function retune() {
  const people = state.peers.size + 1;
  state.people = people;
  for (const peer of state.peers.values()) {
    const pc = peer.machine.pc;
    if (pc && pc.connectionState === "connected") tune(pc, people, log);
  }
}

function showLocations() {
  const box = $("client-location");
  if (!box) return;
  const clients = [...state.peers.values()].map((p) => p.person).filter((p) => p.role === "client" && p.location);
  if (clients.length === 0) return;
  box.hidden = false;
  $("client-location-name").textContent = clients.map((p) => `${p.name}: ${p.location.name}`).join(" · ");
  const unlicensed = clients.filter((p) => !p.location.licensed).map((p) => p.location.name);
  $("license-state").textContent = [...new Set(unlicensed)].join(", ");
  $("license-warning").hidden = unlicensed.length === 0;
}

// --- Server messages ------------------------------------------------------------------------

function finish(title, note = "") {
  state.ended = true;
  clearInterval(state.iceTimer);
  clearInterval(state.watchTimer);
  timer.stop();
  removeAll();
  signaling.close();
  state.stream.getTracks().forEach((t) => t.stop());
  view.ended(title, note);
}

signaling.addEventListener("message", ({ detail: msg }) => {
  switch (msg.type) {
    case "welcome":
      // A new participation (first join, or a reconnect of the socket): everyone here
      // connects to it afresh, so this page starts afresh too.
      removeAll();
      state.me = msg.id;
      state.held = new Set(msg.held || []);
      state.onHold = Boolean(msg.on_hold);
      (msg.people || []).forEach(addPeer);
      showRoom();
      break;
    case "hold":
      // The therapist put this person on hold (or brought them back).
      state.onHold = Boolean(msg.on);
      state.peers.forEach((peer) => applyHold(peer));
      showRoom();
      break;
    case "held": {
      if (msg.on) state.held.add(msg.id);
      else state.held.delete(msg.id);
      const peer = state.peers.get(msg.id);
      if (peer) applyHold(peer);
      break;
    }
    case "noted": {
      const peer = state.peers.get(msg.id);
      const button = peer && peer.tile.querySelector(".tile-together");
      if (button) {
        button.setAttribute("aria-pressed", "true");
        button.textContent = "Noted: joined together on one device";
      }
      break;
    }
    case "removed":
      finish("The therapist removed you from this session", "You can't join this session again.");
      break;
    case "joined":
      addPeer(msg.person);
      break;
    case "left":
      removePeer(msg.id);
      break;
    case "signal": {
      const peer = state.peers.get(msg.from);
      const signal = { type: "signal", description: msg.description, candidate: msg.candidate };
      if (!msg.description) delete signal.description;
      if (!msg.candidate) delete signal.candidate;
      if (peer) peer.machine.receive(signal);
      else {
        const early = state.early.get(msg.from) || [];
        if (early.length < EARLY_MAX) early.push(signal);
        state.early.set(msg.from, early);
      }
      break;
    }
    case "peer-media": {
      const peer = state.peers.get(msg.from);
      if (!peer) break;
      const parts = [];
      if (!msg.audio) parts.push(`${peer.person.name} is muted`);
      if (!msg.video) parts.push("camera off");
      const el = peer.tile.querySelector(".tile-media");
      el.textContent = parts.join(" · ");
      el.hidden = parts.length === 0;
      break;
    }
    case "session-ended":
      finish("The therapist ended the session", "This session has ended. It can't be joined again.");
      break;
    case "replaced":
      finish("You opened this session in another window or device, so it was closed here");
      break;
    case "error":
      if (!["peer_absent"].includes(msg.code)) log("server said", msg.code);
      break;
    default:
      break;
  }
});
signaling.addEventListener("open", () => view.error(""));
signaling.addEventListener("close", ({ detail }) => {
  if (state.ended) return;
  if (detail.code === 4428) location.assign(root.dataset.leaveUrl);
  else if (detail.final && root.dataset.state === "ended") return;
  else if (detail.final && detail.code !== 4409) finish("This session can't be joined now");
  else if (!detail.final) view.error("Connection to the server lost. Reconnecting…");
});

// --- Keeping up -----------------------------------------------------------------------------

// Every few seconds: each person's incoming frame rate; the therapist sees a note for anyone
// whose connection cannot keep up (and their tile is marked).
async function watchConnections() {
  const slow = [];
  let measured = 0;
  for (const peer of state.peers.values()) {
    const pc = peer.machine.pc;
    if (!pc || pc.connectionState !== "connected") continue;
    measured += 1;
    const now = await reading(pc);
    const verdict = keepsUp(peer.last, now);
    peer.last = now;
    peer.fps = verdict.fps;
    peer.slow = !verdict.ok;
    peer.tile.dataset.slow = peer.slow ? "1" : "";
    if (peer.slow) slow.push(peer.person.name);
  }
  if (measured) view.quality(slow.length ? "poor" : "good", slow.length ? "poor" : "good");
  const note = $("mesh-note");
  if (note) {
    note.textContent = slow.length
      ? `${slow.join(" and ")}: the connection can't keep up. Their video is reduced; asking them to turn off other downloads, move closer to the Wi-Fi, or turn their camera off may help.`
      : "";
    note.hidden = slow.length === 0;
  }
}

// --- Controls -------------------------------------------------------------------------------

function sendMediaState() {
  const audio = state.stream.getAudioTracks().some((t) => t.enabled);
  const video = state.stream.getVideoTracks().some((t) => t.enabled);
  signaling.send({ type: "media", audio, video });
}

wireMediaControls({
  $,
  state,
  localVideo,
  sendMediaState,
  // Every pair's peer connection gets the new track.
  useTrack: async (track, old) => {
    for (const peer of state.peers.values()) {
      const pc = peer.machine.pc;
      if (!pc) continue;
      const sender = pc.getSenders().find((s) => s.track === old)
        || pc.getSenders().find((s) => s.track && s.track.kind === track.kind);
      if (sender) await sender.replaceTrack(track);
      else pc.addTrack(track, state.stream);
    }
  },
  speakers: () => grid.querySelectorAll(".remote-tile video"),
  log,
  showError: (text) => view.error(text),
});

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

// --- For tests and the benchmark ------------------------------------------------------------

window.__call = state;
state.chat = chat;
state.summary = async () => {
  const peers = [];
  for (const [id, peer] of state.peers) {
    const pc = peer.machine.pc;
    const out = { id, name: peer.person.name, connectionState: pc ? pc.connectionState : "none", framesDecoded: 0, audioPacketsReceived: 0, fps: null, maxBitrate: null };
    if (pc) {
      (await pc.getStats()).forEach((s) => {
        if (s.type === "inbound-rtp" && s.kind === "video") {
          out.framesDecoded += s.framesDecoded || 0;
          if (typeof s.framesPerSecond === "number") out.fps = s.framesPerSecond;
        }
        if (s.type === "inbound-rtp" && s.kind === "audio") out.audioPacketsReceived += s.packetsReceived || 0;
      });
      const video = pc.getSenders().find((s) => s.track && s.track.kind === "video");
      const encoding = video && video.getParameters().encodings?.[0];
      if (encoding) out.maxBitrate = encoding.maxBitrate ?? null;
    }
    peers.push(out);
  }
  return { me: state.me, people: state.peers.size + 1, peers };
};

// --- Starting ---------------------------------------------------------------------------------

function join() {
  mediaReady = Promise.all([startMedia(), iceReady]);
  view.waiting();
  signaling.open();
}

RTCPeerConnection.generateCertificate({ name: "ECDSA", namedCurve: "P-256" })
  .then((certificate) => {
    state.certificate = certificate;
  })
  .catch(() => {});
state.iceTimer = setInterval(() => refreshIce({ background: true }), 10 * 60 * 1000);
state.watchTimer = setInterval(() => watchConnections().catch(log), 3000);
if (root.dataset.prejoin) {
  $("start-call").addEventListener("click", () => {
    $("device-check").hidden = true;
    join();
  }, { once: true });
} else {
  join();
}
