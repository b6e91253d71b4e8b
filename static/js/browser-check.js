// The device check names the browser and its version, and says plainly when it is too old or
// lacks what a video session needs. Feature detection decides; the version only explains.

// Versions from which calls are tested to work (WebRTC unified plan, perfect negotiation).
const MINIMUM = { Chrome: 111, Edge: 111, Firefox: 115, Safari: 16.4, Opera: 97, "Samsung Internet": 22 };
const CURRENT = "a current Chrome, Edge, Firefox or Safari";

export function identify(ua = navigator.userAgent) {
  const ios = ua.match(/(?:iPhone|iPad|iPod).*? OS (\d+)_(\d+)/);
  const pick = (pattern) => ua.match(pattern);
  const app = [
    ["Edge", /Edg(?:A|iOS)?\/(\d+)/],
    ["Opera", /OPR\/(\d+)/],
    ["Samsung Internet", /SamsungBrowser\/(\d+)/],
    ["Firefox", /(?:Firefox|FxiOS)\/(\d+)/],
    ["Chrome", /(?:Chrome|CriOS)\/(\d+)/],
    ["Safari", /Version\/(\d+(?:\.\d+)?).*Safari/],
  ].find(([, pattern]) => pick(pattern));
  const name = app ? app[0] : "This browser";
  if (ios) {
    // On an iPhone or iPad every browser runs Safari's engine: the iOS version is what counts.
    const version = Number(`${ios[1]}.${ios[2]}`);
    return { name, version: app ? Number(pick(app[1])[1]) : version, engine: "Safari", engineVersion: version, ios: true };
  }
  const version = app ? Number(pick(app[1])[1]) : null;
  return { name, version, engine: name, engineVersion: version, ios: false };
}

export function missingFeatures(win = window) {
  const missing = [];
  if (typeof win.RTCPeerConnection !== "function") missing.push("WebRTC video calls");
  if (!win.navigator.mediaDevices || typeof win.navigator.mediaDevices.getUserMedia !== "function") {
    missing.push(win.isSecureContext ? "camera and microphone access" : "camera access on a page that is not secure (https://)");
  }
  if (typeof win.WebSocket !== "function") missing.push("WebSockets");
  return missing;
}

export function verdict(info = identify(), missing = missingFeatures()) {
  const named = info.version ? `${info.name} ${info.version}${info.ios ? " on iOS " + info.engineVersion : ""}` : info.name;
  const minimum = MINIMUM[info.engine];
  if (missing.length) {
    return { ok: false, text: `${named} can't be used for a video session: it has no ${missing.join(", no ")}. Use ${CURRENT}.` };
  }
  if (minimum && info.engineVersion && info.engineVersion < minimum) {
    const what = info.ios ? `iOS ${info.engineVersion} is too old for video sessions: update the iPhone or iPad to iOS ${minimum} or later` : `${named} is too old for video sessions: update it to version ${minimum} or later`;
    return { ok: false, text: `${what}, or use ${CURRENT}.` };
  }
  return { ok: true, text: `Browser: ${named}.` };
}

const box = document.querySelector("[data-browser-support]");
if (box) {
  const { ok, text } = verdict();
  box.textContent = text;
  box.className = ok ? "note" : "alert bad";
  if (!ok) box.setAttribute("role", "alert");
  box.hidden = false;
}
