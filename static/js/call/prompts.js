// Keep the "session is ready" alerts current without a reload. The X-Background header tells
// the server this poll is not the person being active (idle sign-out still applies).
const box = document.getElementById("session-prompts");
const EVERY_MS = 10000;

async function refresh() {
  try {
    const response = await fetch(box.dataset.pollUrl, {
      headers: { "X-Background": "1", Accept: "application/json" },
      credentials: "same-origin",
    });
    if (response.status === 401) {
      location.reload(); // Signed out for being idle: show the sign-in page.
      return;
    }
    if (!response.ok) return;
    const data = await response.json();
    if (box.innerHTML.trim() !== data.html.trim()) box.innerHTML = data.html;
  } catch {
    // Offline for a moment: try again at the next tick.
  }
}

if (box && box.dataset.pollUrl) setInterval(refresh, EVERY_MS);
