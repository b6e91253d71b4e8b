// The call as one state machine: it alone owns the RTCPeerConnection's life.
//
//   idle → getting-ready → waiting → connecting → connected ⇄ reconnecting → ended
//
// getting-ready  media and ICE servers load. A page connected ahead (the therapist's device
//                check) is given the other person's pending offer ("held-offer") and applies
//                it through negotiation.js with answers held: nothing is sent before Start.
// waiting        present and alone. This page's offer, once gathered, is the pending offer the
//                server keeps for the other person ("hold-offer", with an id). Every 10 minutes
//                a fresh one replaces it; the old connection stays until the server confirms
//                the replacement ("offer-held") or says the old one was taken.
// connecting     both present. "peer-joined" tells the waiting page which of its offers was
//                taken (or none: it sends its offer now); the arrival's claim on the offer it
//                applied ahead is granted ("offer-taken": its answer goes out) or refused
//                ("held-offer" null: it drops it, the current offer follows as a signal).
// connected ⇄ reconnecting   from the connection's state, and from the server's "peer-left".
// ended          End pressed, the other ended it, or this window was replaced.
//
// The server moves it with messages (in order, through one queue that survives a handler
// that throws), the person with start() and end(), the connection with its own state.
//
// Surviving drops (recovery.js watches the connection and asks for an ICE restart or a
// rebuild): a connection that is up is kept through a signaling reconnect (a server restart:
// media is peer to peer), and checked with an unchanged offer when the other person comes
// back, since only its answer says whether they still have theirs. A description from a
// connection of theirs other than the one ours negotiated with (their page reloaded or
// rebuilt) makes a new connection here too; one from a connection already replaced is
// dropped. Someone away longer than GONE_MS is shown as gone.
import { negotiate } from "./negotiation.js";
import { createRecovery, fromNewPeer, sessionId } from "./recovery.js";

const RENEW_MS = 10 * 60 * 1000;
const OFFER_WAIT_MS = 2000;
const GONE_MS = 15000;
const CHAT_CHANNEL = { negotiated: true, id: 0, ordered: true };

export function createCallMachine({ signaling, polite, prepared, iceConfig, localStream, on, log }) {
  const m = {
    state: "idle",
    polite,
    joined: false,
    peerPresent: false,
    peer: null, // {pc, negotiator, offerId, aheadId, live, outbox, remote}
    spare: null, // the previous waiting offer's peer, until the server confirms the new one
    claim: null, // the id of the held offer this page answers on Start, until the verdict
    nextOfferId: Math.floor(Math.random() * 2 ** 30),
    ready: Promise.resolve(prepared), // no connection before the ICE servers are known
    queue: Promise.resolve(),
    marks: { script: performance.timeOrigin + performance.now() },
    timers: {},
    welcomes: 0, // how many times the server welcomed this page (a reconnect adds one)
    stale: new Set(), // session ids of their connections ours no longer talks to
  };
  const recovery = createRecovery({
    impolite: () => !m.polite,
    active: () => m.joined && m.peerPresent && signaling.isOpen(),
    restartIce: (pc) => pc.restartIce(),
    rebuild,
    expectsMedia: () => (on.expectsMedia ? on.expectsMedia() : true),
    log,
  });
  const mark = (name) => {
    m.marks[name] ??= performance.timeOrigin + performance.now();
  };

  function setState(state) {
    if (m.state === state || m.state === "ended") return;
    m.state = state;
    mark(state);
    on.state(state);
  }

  // --- Peer connections ------------------------------------------------------------------

  function makePeer({ hold = false, offerId = null, aheadId = null, live = false } = {}) {
    const pc = new RTCPeerConnection(iceConfig());
    const peer = { pc, offerId, aheadId, live, outbox: [], remote: null, welcomes: m.welcomes };
    // A description refused: the connection is stable again, but rebuilt to be sure of it.
    const onFailure = () => {
      if (peer === m.peer && peer.live) recovery.requestRebuild("description refused");
    };
    peer.negotiator = negotiate(pc, { polite: m.polite, send: (p) => deliver(peer, p), log, holdAnswers: hold, onFailure });
    peer.unwatch = recovery.watch(pc);
    openChannel(pc);
    mark("pcNew");
    pc.addEventListener("signalingstatechange", () => mark(`sig-${pc.signalingState}`));
    pc.addEventListener("icegatheringstatechange", () => {
      mark(`gather-${pc.iceGatheringState}`);
      // Alone with an offer gathered: leave it with the server (every candidate is in it).
      if (peer.offerId !== null && !peer.live && !m.peerPresent && pc.iceGatheringState === "complete"
          && pc.signalingState === "have-local-offer" && (peer === m.peer)) {
        signaling.send({ type: "hold-offer", id: peer.offerId, description: pc.localDescription.toJSON() });
        mark("holdOffer");
      }
    });
    pc.addEventListener("track", ({ track, streams }) => {
      peer.remote = streams[0] || new MediaStream([track]);
      if (peer === m.peer && m.joined) on.remote(peer.remote, pc);
    });
    pc.addEventListener("connectionstatechange", () => {
      if (peer !== m.peer) return;
      if (pc.connectionState === "connected") setState("connected");
      else if (pc.connectionState === "disconnected" || pc.connectionState === "failed") setState("reconnecting");
    });
    return peer;
  }

  // The chat's data channel (chat.js), made with every peer connection: negotiated with a
  // fixed id on both sides, so it rides on the connection's own offer and answer.
  function openChannel(pc) {
    if (!on.channel) return;
    try {
      on.channel(pc.createDataChannel("chat", CHAT_CHANNEL));
    } catch (err) {
      log("no chat channel", err);
    }
  }

  function deliver(peer, payload) {
    if (peer !== m.peer) return;
    if (!peer.live) {
      peer.outbox.push(payload);
      return;
    }
    mark(payload.description ? `sent-${payload.description.type}` : "sentCandidate");
    signaling.send({ type: "signal", ...payload });
  }

  // Start sending: what was queued (an answer made ahead), or only the offer as it stands
  // now (candidates gathered so far are in it), or nothing (the server passed it on).
  function goLive(peer, { queued = true, offer = false } = {}) {
    const outbox = peer.outbox;
    peer.outbox = [];
    peer.live = true;
    if (queued) outbox.forEach((p) => deliver(peer, p));
    const local = peer.pc.localDescription;
    if (offer && local && local.type === "offer") deliver(peer, { description: local.toJSON() });
  }

  function close(peer) {
    if (!peer) return;
    peer.unwatch();
    peer.pc.close();
  }

  // Replacing the current connection for a new one: what its other end still sends (a late
  // answer, candidates) is not for the new one, and the call is "reconnecting" until the new
  // one is up.
  function replacing() {
    const theirs = m.peer ? sessionId(m.peer.pc.remoteDescription) : null;
    if (theirs !== null) m.stale.add(theirs);
    if (m.state === "connected") setState("reconnecting");
  }

  // A connection that is (or was just) up, worth keeping through a signaling reconnect.
  function keepable() {
    const pc = m.peer && m.joined && m.peer.live ? m.peer.pc : null;
    return Boolean(pc && pc.remoteDescription && pc.connectionState !== "closed" && pc.connectionState !== "failed");
  }

  // recovery.js: start again with a fresh connection (their side follows on our offer).
  function rebuild() {
    if (m.state === "ended" || !m.peerPresent) return;
    replacing();
    offerNow();
  }

  // They are away (server said so): shown as reconnecting, as gone after GONE_MS.
  function expectReturn() {
    clearTimeout(m.timers.gone);
    m.timers.gone = setTimeout(() => {
      if (m.peerPresent || m.state === "ended") return;
      if (!signaling.isOpen()) {
        expectReturn(); // we are the one away (the server restarting): we cannot tell yet
        return;
      }
      if (on.peerGone) on.peerGone();
      setState("waiting");
      offerAlone(); // ready for their return
    }, GONE_MS);
  }

  function showKept() {
    clearTimeout(m.timers.gone);
    setState(m.peer.pc.connectionState === "connected" ? "connected" : "connecting");
  }

  function closePeers() {
    close(m.spare);
    close(m.peer);
    m.spare = null;
    m.peer = null;
    on.remote(null);
  }

  function addTracks(pc) {
    const stream = localStream();
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    // Receive both kinds even when sending audio only (no camera), unless an offer applied
    // ahead brought a transceiver of that kind already.
    const has = (kind) => pc.getTransceivers().some((t) => t.receiver.track.kind === kind);
    if (stream.getVideoTracks().length === 0 && !has("video")) pc.addTransceiver("video", { direction: "recvonly" });
    if (stream.getAudioTracks().length === 0 && !has("audio")) pc.addTransceiver("audio", { direction: "recvonly" });
  }

  // Alone: make the offer the server will keep for the other person.
  function offerAlone() {
    closePeers();
    m.peer = makePeer({ offerId: m.nextOfferId++ });
    addTracks(m.peer.pc);
    scheduleRenewal();
  }

  // Present together, nothing to answer: offer now (sent as it is made).
  function offerNow() {
    closePeers();
    m.peer = makePeer({ live: true });
    addTracks(m.peer.pc);
  }

  function scheduleRenewal() {
    clearTimeout(m.timers.renew);
    m.timers.renew = setTimeout(renewOffer, RENEW_MS);
  }

  // The pending offer's TURN credentials are short-lived: make a fresh one now and then.
  async function renewOffer() {
    if (m.state !== "waiting" || m.peerPresent || !m.peer) return;
    await on.refreshIce();
    if (m.state !== "waiting" || m.peerPresent || !m.peer) return;
    close(m.spare);
    m.spare = m.peer;
    m.peer = makePeer({ offerId: m.nextOfferId++ });
    addTracks(m.peer.pc);
    scheduleRenewal();
  }

  function expectOffer() {
    clearTimeout(m.timers.offer);
    m.timers.offer = setTimeout(() => {
      if (m.peerPresent && !m.peer) offerNow();
    }, OFFER_WAIT_MS);
  }

  // --- Server messages -------------------------------------------------------------------

  const handlers = {
    welcome(msg) {
      mark("welcome");
      m.welcomes += 1;
      m.polite = msg.polite;
      m.peerPresent = msg.peer_present;
      if (keepable()) {
        // Back after a signaling drop with the call still up: keep it. When they are here,
        // they check it with an offer (the "peer-joined" side does).
        if (msg.peer_present) showKept();
        else {
          setState("reconnecting");
          expectReturn();
        }
        return;
      }
      if (!msg.peer_present) {
        m.claim = null;
        setState("waiting");
        offerAlone();
        return;
      }
      setState("connecting");
      // Our claim on the offer applied ahead awaits its verdict (it follows this welcome).
      if (m.claim !== null) return;
      // They wait with an offer, which the server sends now: answer it rather than offer too.
      closePeers();
      expectOffer();
    },
    "peer-joined"(msg) {
      mark("peerJoined");
      m.peerPresent = true;
      clearTimeout(m.timers.renew);
      setState("connecting");
      const taken = [m.peer, m.spare].find((p) => p && msg.offer !== undefined && p.offerId === msg.offer);
      if (taken) {
        // The server passed this offer on: keep its connection, their answer comes here.
        if (taken !== m.peer) close(m.peer);
        else close(m.spare);
        m.peer = taken;
        m.spare = null;
        goLive(taken, { queued: false });
      } else if (m.peer && m.peer.offerId !== null && !m.peer.live) {
        close(m.spare);
        m.spare = null;
        goLive(m.peer, { queued: false, offer: true });
      } else if (keepable() && m.peer.welcomes < m.welcomes) {
        // Both of us lost the server (it restarted) with the call up: check theirs is the
        // same connection, with an unchanged offer (a fresh page answers: see signal()).
        showKept();
        return m.peer.negotiator.offer();
      } else {
        clearTimeout(m.timers.gone);
        offerNow(); // they came back (a reload, a drop of theirs): a fresh connection
      }
      return undefined;
    },
    "held-offer"(msg) {
      if (msg.description && !m.joined) {
        // Ahead, before Start: apply it, answer on Start.
        closePeers();
        m.peer = makePeer({ hold: true, aheadId: msg.id });
        return m.peer.negotiator.receive({ description: msg.description });
      }
      if (msg.description) return;
      // Withdrawn, or our claim on it refused: drop it. If they are here, theirs follows.
      if (m.peer && m.peer.aheadId === msg.id && !m.peer.live) closePeers();
      if (m.claim === msg.id) {
        m.claim = null;
        expectOffer();
      }
    },
    "offer-taken"(msg) {
      if (m.claim !== msg.id || !m.peer || m.peer.aheadId !== msg.id) return;
      m.claim = null;
      goLive(m.peer); // the answer made ahead, and its candidates
    },
    "offer-held"(msg) {
      if (m.peer && m.peer.offerId === msg.id) {
        close(m.spare);
        m.spare = null;
      }
    },
    "peer-left"(msg) {
      m.peerPresent = false;
      if (msg.ended) {
        on.peerEnded();
        if (m.state === "ended") return;
        setState("waiting");
        offerAlone(); // ready for their return
      } else {
        setState("reconnecting");
        expectReturn();
      }
    },
    signal(msg) {
      mark(msg.description ? `first-${msg.description.type}` : "firstCandidate");
      const description = msg.description;
      // From a connection of theirs already replaced (a late answer or offer): not for us.
      if (description && m.stale.has(sessionId(description))) return undefined;
      if (m.peer && m.peer.live && description && fromNewPeer(m.peer.pc, description)) {
        // Their page has a new connection: so must ours.
        replacing();
        if (description.type !== "offer") {
          offerNow(); // our offer was answered by a connection that never had ours
          return undefined;
        }
        closePeers();
      }
      if (!m.peer && msg.description && msg.description.type === "offer") {
        clearTimeout(m.timers.offer);
        m.peer = makePeer({ live: true });
        addTracks(m.peer.pc);
      }
      if (m.peer) return m.peer.negotiator.receive(msg);
      return undefined;
    },
  };

  // In order, one at a time; after this person joined, only once their media is ready. A
  // handler that throws is logged and the next message is handled all the same.
  function receive(msg) {
    m.queue = m.queue
      .then(() => m.ready)
      .then(() => (handlers[msg.type] || on.message)(msg))
      .catch((err) => log("could not handle", msg.type, err));
  }

  // The person is present now (Start, or opening the Waiting Room). mediaReady: the local
  // media is in localStream() once it settles.
  function start(mediaReady, { sendJoin }) {
    m.joined = true;
    const ahead = m.peer && m.peer.aheadId !== null && !m.peer.live ? m.peer : null;
    m.claim = ahead && ahead.pc.signalingState === "have-remote-offer" ? ahead.aheadId : null;
    if (sendJoin) signaling.send(m.claim !== null ? { type: "join", offer: m.claim } : { type: "join" });
    setState("getting-ready");
    m.ready = Promise.all([prepared, mediaReady]).then(() => {
      if (m.claim === null || m.peer !== ahead) return;
      mark("answerAhead");
      addTracks(ahead.pc);
      if (ahead.remote) on.remote(ahead.remote, ahead.pc);
      return ahead.negotiator.release(); // queued until the server grants the claim
    }).catch((err) => log(err));
  }

  function end() {
    Object.values(m.timers).forEach(clearTimeout);
    closePeers();
    setState("ended");
  }

  // After a reconnect of the signaling socket while ahead: the server gives the offer again.
  function forgetAhead() {
    if (!m.joined && m.peer && m.peer.aheadId !== null) closePeers();
  }

  return {
    receive,
    start,
    end,
    forgetAhead,
    renewOffer,
    marks: m.marks,
    recovery: recovery.counts,
    get state() { return m.state; },
    get pc() { return m.peer ? m.peer.pc : null; },
    get negotiator() { return m.peer ? m.peer.negotiator : null; },
  };
}
