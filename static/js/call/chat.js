// In-session chat over an RTCDataChannel: peer to peer, never through the server and never
// stored anywhere (only this page's memory, gone when it closes). machine.js makes the
// channel with each peer connection (negotiated, fixed id, so no extra negotiation); this
// module uses whichever of them is open. In a couple's or a family's call (mesh.js) there is
// one open channel per person: a message goes to every one of them, and each message
// received is shown with the name of the person whose channel it came on. Text only: shown with textContent, so a link is
// just text.
export const MAX_CHARS = 1000;
const RATE_PER_SECOND = 2;
const BURST = 10;

const $ = (id) => document.getElementById(id);

function bucket() {
  let tokens = BURST;
  let at = performance.now();
  return () => {
    const now = performance.now();
    tokens = Math.min(BURST, tokens + ((now - at) / 1000) * RATE_PER_SECOND);
    at = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

export function createChat({ peerName, log }) {
  const panel = $("chat-panel");
  const toggle = $("toggle-chat");
  const badge = $("chat-unread");
  const list = $("chat-log");
  const form = $("chat-form");
  const input = $("chat-input");
  const problem = $("chat-problem");
  const announce = $("chat-announce");
  const sendAllowed = bucket();
  const receiveAllowed = bucket();
  const chat = { channel: null, channels: new Set(), unread: 0, shown: [] };

  function say(text) {
    problem.textContent = text;
    problem.hidden = !text;
    if (text) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  function show(who, text, mine) {
    const item = document.createElement("li");
    item.className = mine ? "chat-msg mine" : "chat-msg theirs";
    const name = document.createElement("span");
    name.className = "who";
    name.textContent = who;
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    const at = document.createElement("time");
    const now = new Date();
    at.dateTime = now.toISOString();
    at.textContent = now.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
    item.append(name, body, at);
    list.append(item);
    list.scrollTop = list.scrollHeight;
  }

  function setUnread(count) {
    chat.unread = count;
    badge.textContent = String(count);
    badge.hidden = count === 0;
    if (count) toggle.setAttribute("aria-label", `Chat, ${count} unread`);
    else toggle.removeAttribute("aria-label");
  }

  function received(event, from = peerName) {
    if (!receiveAllowed()) return; // a flood from the other side: dropped, the call goes on
    let text = null;
    try {
      const data = JSON.parse(event.data);
      if (data && typeof data.text === "string") text = data.text;
    } catch {
      // not ours
    }
    if (text === null || !text.trim() || text.length > MAX_CHARS) {
      log("chat: dropped a message that is not plain text within the limit");
      return;
    }
    show(from, text, false);
    announce.textContent = `${from} says: ${text}`;
    if (panel.hidden) setUnread(chat.unread + 1);
  }

  // Each new peer connection brings a new channel (the old one closes with its connection).
  function attach(channel, from = peerName) {
    channel.addEventListener("open", () => {
      chat.channel = channel;
      chat.channels.add(channel);
      say("");
    });
    channel.addEventListener("close", () => {
      chat.channels.delete(channel);
      if (chat.channel === channel) chat.channel = [...chat.channels].pop() || null;
    });
    channel.addEventListener("message", (event) => received(event, from));
  }

  function send(text) {
    if (!text.trim()) return;
    if (text.length > MAX_CHARS) {
      say(`Messages can be up to ${MAX_CHARS.toLocaleString()} characters; this one has ${text.length.toLocaleString()}. Shorten it or send it in parts.`);
      return;
    }
    const open = [...chat.channels].filter((c) => c.readyState === "open");
    if (open.length === 0) {
      say(`Chat works once you are connected with ${peerName}. Your message is still here.`);
      return;
    }
    if (!sendAllowed()) {
      say("You are sending messages very quickly. Wait a moment, then send again.");
      return;
    }
    open.forEach((c) => c.send(JSON.stringify({ text })));
    show("You", text, true);
    input.value = "";
    say("");
  }

  function open(wanted) {
    panel.hidden = !wanted;
    toggle.setAttribute("aria-expanded", String(wanted));
    document.getElementById("call-root").dataset.chat = wanted ? "open" : "closed";
    if (wanted) {
      setUnread(0);
      input.focus();
    }
  }

  toggle.addEventListener("click", () => open(panel.hidden));
  $("chat-close").addEventListener("click", () => {
    open(false);
    toggle.focus();
  });
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      open(false);
      toggle.focus();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send(input.value);
  });
  input.addEventListener("keydown", (event) => {
    // Enter sends, Shift+Enter makes a new line.
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      send(input.value);
    }
  });
  input.addEventListener("input", () => {
    if (input.value.length <= MAX_CHARS && !problem.hidden) say("");
  });

  return { attach, send, open, get state() { return chat; } };
}
