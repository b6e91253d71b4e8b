// The client's Telehealth Waiting Room: words from the therapist arrive live over the alert
// socket (/ws/alerts/) and are shown in a polite live region, so screen readers read them.

const box = document.getElementById("waiting-word");
const FINAL_CODES = new Set([4401, 4403]);
let retries = 0;

function show(word) {
  const p = document.createElement("p");
  p.className = "alert info";
  const who = document.createElement("strong");
  who.textContent = word.from;
  const text = document.createElement("span");
  text.className = "word-text";
  text.textContent = word.text; // plain text, never markup
  p.append(who, ` (${word.at}): `, text);
  box.replaceChildren(p);
}

function open() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}${box.dataset.wsPath}`);
  socket.addEventListener("open", () => (retries = 0));
  socket.addEventListener("message", (event) => {
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch {
      return;
    }
    if (msg.type === "word" && String(msg.appointment_id) === box.dataset.appointmentId) show(msg);
  });
  socket.addEventListener("close", (event) => {
    if (FINAL_CODES.has(event.code)) return;
    setTimeout(open, Math.min(10000, 500 * 2 ** retries++));
  });
}

if (box) open();
