// The check-in alerts on every staff page: the server pushes, over one WebSocket per tab
// (/ws/alerts/), who is in the Telehealth Waiting Room and when they leave. This module shows
// each as a card with the waiting minutes counting up, Start and a word to the client, puts
// "(1) Waiting · " in the page title, marks the appointment wherever the page links to it,
// announces it politely, and plays a soft chime (WebAudio, no file) if the person keeps it on
// and has interacted with the page (browsers' autoplay rules; we never try before that).

const tray = document.getElementById("alert-tray");
const list = document.getElementById("alert-list");
const template = document.getElementById("alert-template");
const announcer = document.getElementById("alert-announcer");
const chimeForm = tray && tray.querySelector(".chime-form");
const baseTitle = document.title;
const FINAL_CODES = new Set([4401, 4403]);

const cards = new Map(); // appointment id -> { el, alert, anchor }
const state = { chime: true, interacted: false, audio: null, retries: 0, socket: null };

// --- The socket -------------------------------------------------------------------------------

function open() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}${tray.dataset.wsPath}`);
  state.socket = socket;
  socket.addEventListener("open", () => {
    state.retries = 0;
    tray.dataset.connected = "1";
  });
  socket.addEventListener("message", (event) => {
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch {
      return;
    }
    receive(msg);
  });
  socket.addEventListener("close", (event) => {
    delete tray.dataset.connected;
    if (FINAL_CODES.has(event.code)) return;
    const delay = Math.min(10000, 500 * 2 ** state.retries++);
    setTimeout(open, delay);
  });
}

function receive(msg) {
  if (msg.type === "hello") {
    showChime(msg.chime !== false);
  } else if (msg.type === "alert") {
    show(msg);
  }
}

// --- Cards ------------------------------------------------------------------------------------

function show(alert) {
  const id = alert.appointment_id;
  const known = cards.get(id);
  if (alert.state === "waiting") {
    const fresh = !known || known.alert.state !== "waiting";
    // Someone else of a couple or a family arrived: said again, with everyone's names.
    const more = Boolean(known) && !fresh && known.alert.client_name !== alert.client_name;
    const card = known || { el: template.content.firstElementChild.cloneNode(true) };
    card.alert = alert;
    // Anchor the waited time to this browser's clock (the server's may differ).
    card.anchor = Date.now() - Math.max(0, alert.now - alert.waiting_since);
    if (!known) {
      cards.set(id, card);
      wire(card);
      list.append(card.el);
    }
    fill(card);
    if (more) announce(`${alert.client_name} are in the Waiting Room.`);
    if (fresh) {
      card.shownAt = Date.now(); // for tests: how long the push took
      const whose = alert.own ? "" : ` for ${alert.therapist_name}`;
      announce(`${alert.client_name} ${alert.several ? "are" : "is"} in the Waiting Room${whose}.`);
      chime();
    }
  } else if (alert.state === "left" && known) {
    known.alert = { ...known.alert, ...alert };
    fill(known);
    announce(`${alert.client_name} left the Waiting Room.`);
  } else if (known) {
    known.el.remove();
    cards.delete(id);
  }
  mark(alert);
  refresh();
}

// A couple or a family waiting: the word goes to one of them, or to everyone (only that
// person's Waiting Room shows a word to them).
function fillRecipients(form, people) {
  const box = form.querySelector(".word-to");
  if (!box) return;
  const select = box.querySelector("select");
  const chosen = select.value;
  select.replaceChildren(select.options[0]);
  for (const person of people) {
    const option = document.createElement("option");
    option.value = String(person.id);
    option.textContent = person.name;
    select.append(option);
  }
  select.value = people.some((p) => String(p.id) === chosen) ? chosen : "";
  box.hidden = people.length < 2;
}

function wire(card) {
  card.el.querySelector(".checkin-dismiss").addEventListener("click", () => {
    card.el.remove();
    cards.delete(card.alert.appointment_id);
    refresh();
    // Focus where the person was: the next card's Dismiss, else the page's main heading.
    const next = tray.querySelector(".checkin-alert .checkin-dismiss");
    const heading = document.querySelector("main h1");
    if (next) next.focus();
    else if (heading) {
      if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  });
  const form = card.el.querySelector(".checkin-word");
  form.addEventListener("submit", (event) => sendWord(event, form, card));
}

function fill(card) {
  const { el, alert } = card;
  const waitingNow = alert.state === "waiting";
  el.dataset.appointmentId = alert.appointment_id;
  el.dataset.state = alert.state;
  el.querySelector(".checkin-name").textContent = alert.client_name;
  el.querySelector(".checkin-what").textContent = waitingNow
    ? `${alert.several ? "are" : "is"} in the Waiting Room${alert.own ? "" : ` (${alert.therapist_name})`}`
    : "left the Waiting Room";
  const start = el.querySelector(".checkin-start");
  start.hidden = !waitingNow || !alert.start_url;
  start.href = alert.start_url || "#";
  start.setAttribute("aria-label", `Start the session with ${alert.client_name}`);
  el.querySelector(".checkin-open").href = alert.appointment_url;
  const form = el.querySelector(".checkin-word");
  form.hidden = !waitingNow || !alert.word_url;
  fillRecipients(form, alert.people || []);
  form.action = alert.word_url || "";
  const sent = el.querySelector(".checkin-sent");
  sent.textContent = alert.word ? `You sent at ${alert.word.at}: “${alert.word.text}”` : "";
  sent.hidden = !alert.word || !waitingNow;
  minutes(card);
}

function minutes(card) {
  const el = card.el.querySelector(".checkin-minutes");
  if (card.alert.state !== "waiting") {
    el.textContent = "";
    return;
  }
  const waited = Math.max(0, Math.floor((Date.now() - card.anchor) / 60000));
  el.textContent = `· waiting ${waited} min`;
}

function refresh() {
  tray.hidden = cards.size === 0;
  const waitingCount = [...cards.values()].filter((c) => c.alert.state === "waiting").length;
  document.title = waitingCount ? `(${waitingCount}) Waiting · ${baseTitle}` : baseTitle;
}

// The same marker on the appointment wherever this page links to it, and on its Details.
function mark(alert) {
  const waitingNow = alert.state === "waiting";
  if (alert.appointment_url) {
    for (const link of document.querySelectorAll(`a[href="${alert.appointment_url}"]`)) {
      if (link.closest("#alert-tray")) continue;
      let badge = link.querySelector(".badge.waiting");
      if (waitingNow && !badge) {
        badge = document.createElement("span");
        badge.className = "badge waiting";
        badge.textContent = "Waiting";
        link.append(" ", badge);
      } else if (!waitingNow && badge) {
        badge.remove();
      }
    }
  }
  const detail = document.querySelector(`[data-checkin-for="${alert.appointment_id}"]`);
  if (detail && alert.checked_in) {
    const label = document.querySelector(`[data-checkin-label="${alert.appointment_id}"]`);
    if (label) label.hidden = false;
    detail.hidden = false;
    const what = waitingNow ? " · In the Waiting Room" : alert.state === "left" ? " · left the Waiting Room" : "";
    detail.textContent = `${alert.checked_in}${what}`;
  }
}

function announce(text) {
  // Cleared first, so the same words twice are read twice.
  announcer.textContent = "";
  setTimeout(() => (announcer.textContent = text), 50);
}

// --- A word to the waiting client -------------------------------------------------------------

async function sendWord(event, form, card) {
  event.preventDefault();
  const status = form.querySelector(".word-status");
  const data = new FormData(form);
  const own = form.querySelector("input[name=text]");
  // A preset button's value, or what the person typed.
  const text = event.submitter && event.submitter.value ? event.submitter.value : own.value;
  data.set("text", text);
  status.textContent = "Sending…";
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    const body = await response.json();
    status.textContent = body.message || (response.ok ? "Sent." : "Not sent.");
    status.classList.toggle("bad", !response.ok);
    if (response.ok) own.value = "";
  } catch {
    status.textContent = "Not sent: the connection to the server failed. Try again.";
    status.classList.add("bad");
  }
}

// --- The chime --------------------------------------------------------------------------------

function showChime(on) {
  state.chime = on;
  if (!chimeForm) return;
  const button = chimeForm.querySelector(".chime-toggle");
  button.textContent = on ? "Chime: on (switch off)" : "Chime: off (switch on)";
  button.setAttribute("aria-pressed", String(on));
  chimeForm.querySelector("input[name=on]").value = on ? "0" : "1";
}

function chime() {
  if (!state.chime || !state.interacted) return;
  const AudioContext = window.AudioContext || window.webkitAudioContext;
  if (!AudioContext) return;
  try {
    state.audio ??= new AudioContext();
    const ctx = state.audio;
    const at = ctx.currentTime + 0.02;
    // Two soft sine notes, fading in and out: a gentle "ding-dong".
    [659.25, 523.25].forEach((freq, i) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      const t = at + i * 0.28;
      gain.gain.setValueAtTime(0, t);
      gain.gain.linearRampToValueAtTime(0.12, t + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.6);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + 0.65);
    });
    state.chimes = (state.chimes || 0) + 1;
  } catch {
    // No sound is no harm: the card, the title and the live region still say it.
  }
}

function interacted() {
  state.interacted = true;
  // Made (or resumed) inside the gesture, so later chimes are allowed to sound.
  if (state.chime && state.audio && state.audio.state === "suspended") state.audio.resume();
}

if (tray && list && template) {
  for (const kind of ["pointerdown", "keydown"]) {
    document.addEventListener(kind, interacted, { once: true, capture: true });
  }
  if (chimeForm) {
    chimeForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const response = await fetch(chimeForm.action, {
        method: "POST",
        body: new FormData(chimeForm),
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      }).catch(() => null);
      if (response && response.ok) showChime((await response.json()).chime);
    });
  }
  setInterval(() => cards.forEach(minutes), 15000);
  open();
  // For tests.
  window.__alerts = state;
  state.cards = cards;
}
