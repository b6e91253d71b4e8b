// The device check before joining: camera preview, microphone level, device selection, and
// plain help when the browser blocks the camera or there is none. The browser's permission
// prompt is opened by a button press, as phone browsers require.
import {
  fillDeviceSelects, getMedia, hideHelp, isInAppBrowser, meterLevel, problemOf, saveChoices, showHelp,
} from "./devices.js";

const preview = document.getElementById("preview");
const allow = document.getElementById("allow-devices");
const status = document.getElementById("device-status");
const level = document.getElementById("mic-level");
const noCamera = document.getElementById("no-camera-note");
let stream = null;
let stopMeter = () => {};

if (isInAppBrowser()) document.getElementById("in-app-warning").hidden = false;

function stop() {
  stopMeter();
  if (stream) stream.getTracks().forEach((t) => t.stop());
  stream = null;
}

async function start() {
  stop();
  status.textContent = "Asking your browser for the camera and microphone…";
  try {
    const media = await getMedia();
    stream = media.stream;
    preview.srcObject = stream;
    noCamera.hidden = !media.audioOnly;
    saveChoices({ audioOnly: media.audioOnly });
    stopMeter = meterLevel(stream, (v) => (level.value = v));
    hideHelp();
    allow.textContent = "Try again";
    status.textContent = media.audioOnly
      ? "Your microphone works. No camera was found, so you will join with audio only."
      : "Your camera and microphone work. Speak to see the level move.";
    await fillDeviceSelects();
  } catch (err) {
    const problem = problemOf(err);
    showHelp(problem);
    status.textContent = "The camera and microphone are not available yet. See the steps above.";
  }
}

allow.addEventListener("click", start);
for (const [id, key] of [["camera-select", "camera"], ["mic-select", "mic"]]) {
  document.getElementById(id).addEventListener("change", (event) => {
    saveChoices({ [key]: event.target.value });
    start();
  });
}
document.getElementById("speaker-select").addEventListener("change", (event) => {
  saveChoices({ speaker: event.target.value });
});

// A short tone through the chosen speaker.
document.getElementById("test-sound").addEventListener("click", async () => {
  const ctx = new (window.AudioContext || window.webkitAudioContext)();
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  gain.gain.value = 0.1;
  osc.frequency.value = 440;
  const dest = ctx.createMediaStreamDestination();
  osc.connect(gain).connect(dest);
  const audio = new Audio();
  audio.srcObject = dest.stream;
  const speaker = document.getElementById("speaker-select").value;
  if (speaker && audio.setSinkId) await audio.setSinkId(speaker).catch(() => {});
  osc.start();
  await audio.play().catch(() => {});
  setTimeout(() => { osc.stop(); ctx.close(); audio.srcObject = null; }, 800);
});

// Leave the camera free for the call page.
window.addEventListener("pagehide", stop);
document.getElementById("join")?.addEventListener("click", stop);
