// The device check before joining: camera preview, microphone level, device selection, and
// plain help when the browser blocks the camera or there is none. The browser's permission
// prompt is opened by a button press, as phone browsers require.
import {
  browserOf, fillDeviceSelects, getMedia, hideHelp, isInAppBrowser, meterLevel, problemOf, saveChoices, showHelp,
} from "./devices.js";

function setup(root) {
  const $ = (selector) => root.querySelector(selector);
  const preview = $("#preview");
  const allow = $("#allow-devices");
  const status = $("#device-status");
  const level = $("#mic-level");
  const noCamera = $("#no-camera-note");
  let media = null;
  let stopMeter = () => {};

  if (isInAppBrowser()) document.getElementById("in-app-warning").hidden = false;
  // Safari asks for the camera on every page that wants it: the Waiting Room asks again
  // (the therapist's check is on the call page itself, so it asks once).
  const safari = browserOf().startsWith("safari");
  $("#safari-again").hidden = !safari || root.classList.contains("prejoin");

  function stopLevel() {
    stopMeter();
    stopMeter = () => {};
  }

  function stop() {
    stopLevel();
    if (media) media.stream.getTracks().forEach((t) => t.stop());
    media = null;
  }

  async function start() {
    stop();
    status.textContent = "Asking your browser for the camera and microphone…";
    try {
      media = await getMedia();
      preview.srcObject = media.stream;
      noCamera.hidden = !media.audioOnly;
      saveChoices({ audioOnly: media.audioOnly });
      stopMeter = meterLevel(media.stream, (v) => (level.value = v));
      hideHelp();
      allow.textContent = "Try again";
      status.textContent = media.audioOnly
        ? "Your microphone works. No camera was found, so you will join with audio only."
        : "Your camera and microphone work. Speak to see the level move.";
      await fillDeviceSelects(root);
    } catch (err) {
      showHelp(problemOf(err));
      status.textContent = "The camera and microphone are not available yet. See the steps above.";
    }
  }

  allow.addEventListener("click", start);
  allow.disabled = false;
  for (const key of ["camera", "mic"]) {
    $(`[data-device=${key}]`).addEventListener("change", (event) => {
      saveChoices({ [key]: event.target.value });
      start();
    });
  }
  $("[data-device=speaker]").addEventListener("change", (event) => {
    saveChoices({ speaker: event.target.value });
  });

  // A short tone through the chosen speaker.
  $("#test-sound").addEventListener("click", async () => {
    const ctx = new (window.AudioContext || window.webkitAudioContext)();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    gain.gain.value = 0.1;
    osc.frequency.value = 440;
    const dest = ctx.createMediaStreamDestination();
    osc.connect(gain).connect(dest);
    const audio = new Audio();
    audio.srcObject = dest.stream;
    const speaker = $("[data-device=speaker]").value;
    if (speaker && audio.setSinkId) await audio.setSinkId(speaker).catch(() => {});
    osc.start();
    await audio.play().catch(() => {});
    setTimeout(() => { osc.stop(); ctx.close(); audio.srcObject = null; }, 800);
  });

  // Leave the camera free for the next page.
  window.addEventListener("pagehide", stop);
  document.getElementById("join")?.addEventListener("click", stop);

  return {
    // Hand the running camera and microphone over to the call (joining on the same page).
    take() {
      stopLevel();
      const held = media;
      media = null;
      preview.srcObject = null;
      return held;
    },
  };
}

const root = document.getElementById("device-check");
export const deviceCheck = root ? setup(root) : null;
