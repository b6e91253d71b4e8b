// Camera / microphone / speaker helpers shared by the device check and the call.

const STORE = "teletherapy.devices";

export function savedChoices() {
  try {
    return JSON.parse(localStorage.getItem(STORE)) || {};
  } catch {
    return {};
  }
}

export function saveChoices(choices) {
  try {
    localStorage.setItem(STORE, JSON.stringify({ ...savedChoices(), ...choices }));
  } catch {
    // Private browsing may refuse storage; the defaults still work.
  }
}

export function constraints({ camera, mic } = savedChoices(), video = true) {
  return {
    audio: mic ? { deviceId: { exact: mic } } : true,
    video: video ? (camera ? { deviceId: { exact: camera } } : true) : false,
  };
}

// Get the camera and microphone; without a camera, the microphone alone.
export async function getMedia(choices = savedChoices()) {
  try {
    return { stream: await navigator.mediaDevices.getUserMedia(constraints(choices)), audioOnly: false };
  } catch (err) {
    if (err.name === "OverconstrainedError" && (choices.camera || choices.mic)) {
      return getMedia({});
    }
    if (err.name === "NotFoundError" || err.name === "OverconstrainedError") {
      const stream = await navigator.mediaDevices.getUserMedia(constraints(choices, false));
      return { stream, audioOnly: true };
    }
    throw err;
  }
}

export function problemOf(err) {
  // An http:// address other than this machine: the browser hides the camera on purpose.
  if (!window.isSecureContext) return "insecure";
  // A secure page (https:// or 127.0.0.1) in a browser that has no camera access at all.
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return "unsupported";
  switch (err && err.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "denied";
    case "NotFoundError":
    case "OverconstrainedError":
      return "nodevice";
    case "NotReadableError":
    case "AbortError":
      return "busy";
    default:
      return "denied";
  }
}

export function browserOf(ua = navigator.userAgent) {
  const ios = /iPhone|iPad|iPod/.test(ua) || (/Macintosh/.test(ua) && navigator.maxTouchPoints > 1);
  if (ios) return "safari-ios";
  if (/Android/.test(ua) && /Chrome\//.test(ua)) return "chrome-android";
  if (/Edg\//.test(ua)) return "edge";
  if (/Firefox\//.test(ua)) return "firefox";
  if (/Chrome\//.test(ua)) return "chrome";
  if (/Safari\//.test(ua) && /Macintosh/.test(ua)) return "safari-mac";
  return "other";
}

// Apps' built-in browsers (Facebook, Instagram, LINE, Google app, Android WebViews, ...).
export function isInAppBrowser(ua = navigator.userAgent) {
  return /FBAN|FBAV|FB_IAB|Instagram|Line\/|GSA\/|Snapchat|Twitter|LinkedInApp|MicroMessenger|Pinterest|TikTok|; wv\)|\bwv\b/.test(ua);
}

export function showHelp(problem) {
  const help = document.getElementById("device-help");
  if (!help) return;
  help.hidden = false;
  help.querySelectorAll("[data-problem]").forEach((el) => (el.hidden = el.dataset.problem !== problem));
  const browser = browserOf();
  const showSteps = problem === "denied";
  help.querySelectorAll("[data-browser]").forEach((el) => (el.hidden = !showSteps || el.dataset.browser !== browser));
}

export function hideHelp() {
  const help = document.getElementById("device-help");
  if (help) help.hidden = true;
}

function fill(select, devices, kind, current, fallback) {
  // Before permission Firefox and Safari list one nameless entry per kind, with no id to
  // choose it by: offer only the default until the camera is allowed.
  const list = devices.filter((d) => d.kind === kind && d.deviceId);
  select.replaceChildren();
  const first = new Option(fallback, "");
  select.append(first);
  list.forEach((d, i) => select.append(new Option(d.label || `${fallback} ${i + 1}`, d.deviceId)));
  select.value = list.some((d) => d.deviceId === current) ? current : "";
  select.disabled = list.length === 0;
}

export async function fillDeviceSelects(root = document) {
  const devices = await navigator.mediaDevices.enumerateDevices();
  const choices = savedChoices();
  const camera = root.querySelector("[data-device=camera]");
  const mic = root.querySelector("[data-device=mic]");
  const speaker = root.querySelector("[data-device=speaker]");
  if (camera) fill(camera, devices, "videoinput", choices.camera, "Default camera");
  if (mic) fill(mic, devices, "audioinput", choices.mic, "Default microphone");
  if (speaker && "setSinkId" in HTMLMediaElement.prototype) {
    fill(speaker, devices, "audiooutput", choices.speaker, "Default speaker");
    root.querySelector("[data-speaker-field]").hidden = false;
  }
  return devices;
}

// A live 0..1 microphone level from a WebAudio AnalyserNode; returns a stop function that
// may be called any number of times (closing an AudioContext twice is an error).
export function meterLevel(stream, onLevel) {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx || stream.getAudioTracks().length === 0) return () => {};
  const ctx = new Ctx();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 512;
  ctx.createMediaStreamSource(stream).connect(analyser);
  const data = new Uint8Array(analyser.fftSize);
  let frame = 0;
  const tick = () => {
    analyser.getByteTimeDomainData(data);
    let sum = 0;
    for (const v of data) sum += ((v - 128) / 128) ** 2;
    onLevel(Math.min(1, Math.sqrt(sum / data.length) * 4));
    frame = requestAnimationFrame(tick);
  };
  tick();
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    cancelAnimationFrame(frame);
    ctx.close().catch(() => {});
  };
}
