// The call's elapsed time with its scheduled end ("23:10 · ends 2:43 PM EST"; the end is
// written by the server in the viewer's zone, lib/clock.py), and for the therapist a gentle
// note five minutes before the scheduled end.
const NOTE_MS = 5 * 60 * 1000;

function elapsedText(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

export function createTimer({ el, note, startedAt, endsAt, endsText, noteWanted }) {
  const t = { since: startedAt ? Date.parse(startedAt) : null, interval: null, noted: false };

  function tick() {
    const now = Date.now();
    el.textContent = `${elapsedText(now - t.since)} · ends ${endsText}`;
    const left = Date.parse(endsAt) - now;
    if (noteWanted && !t.noted && left <= NOTE_MS) {
      t.noted = true;
      const minutes = Math.ceil(left / 60000);
      note.textContent = left > 0
        ? `${minutes} minute${minutes === 1 ? "" : "s"} left: the session is scheduled to end at ${endsText}.`
        : `The session's scheduled end, ${endsText}, has passed.`;
      note.hidden = false;
    }
  }

  return {
    // In the call: the clock runs from the session's start (or now, the first time).
    start() {
      if (t.since === null) t.since = Date.now();
      el.hidden = false;
      if (t.interval === null) {
        tick();
        t.interval = setInterval(tick, 1000);
      }
    },
    stop() {
      clearInterval(t.interval);
      t.interval = null;
    },
  };
}
