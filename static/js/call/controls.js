// The person's own media controls on a call page, the same for a two-person call and a group
// call: Mute, Camera off, and the Devices drawer (camera, microphone, speaker). The page says
// how a new track reaches its peer connection(s) (useTrack) and which videos play sound.
import { fillDeviceSelects, saveChoices } from "./devices.js";

export function wireMediaControls({ $, state, localVideo, sendMediaState, useTrack, speakers, log, showError }) {
  $("toggle-mic").addEventListener("click", (event) => {
    const tracks = state.stream.getAudioTracks();
    const muted = tracks.some((t) => t.enabled);
    tracks.forEach((t) => (t.enabled = !muted));
    event.target.textContent = muted ? "Unmute" : "Mute";
    event.target.setAttribute("aria-pressed", String(muted));
    sendMediaState();
  });

  $("toggle-camera").addEventListener("click", (event) => {
    const tracks = state.stream.getVideoTracks();
    const off = tracks.some((t) => t.enabled);
    tracks.forEach((t) => (t.enabled = !off));
    event.target.textContent = off ? "Camera on" : "Camera off";
    event.target.setAttribute("aria-pressed", String(off));
    sendMediaState();
  });

  $("toggle-devices").addEventListener("click", async (event) => {
    const drawer = $("device-drawer");
    drawer.hidden = !drawer.hidden;
    event.target.setAttribute("aria-expanded", String(!drawer.hidden));
    if (!drawer.hidden) await fillDeviceSelects(drawer);
  });

  async function replaceTrack(kind, deviceId) {
    const constraint = deviceId ? { deviceId: { exact: deviceId } } : true;
    const fresh = await navigator.mediaDevices.getUserMedia({ [kind]: constraint });
    const track = kind === "video" ? fresh.getVideoTracks()[0] : fresh.getAudioTracks()[0];
    const old = kind === "video" ? state.stream.getVideoTracks()[0] : state.stream.getAudioTracks()[0];
    if (old) {
      track.enabled = old.enabled;
      state.stream.removeTrack(old);
      old.stop();
    }
    state.stream.addTrack(track);
    await useTrack(track, old);
    localVideo.srcObject = state.stream;
  }

  // The panel is shared with the device check (ids carry a prefix): go by data-device.
  $("device-drawer").addEventListener("change", async (event) => {
    const { value, dataset } = event.target;
    try {
      if (dataset.device === "camera") {
        saveChoices({ camera: value });
        await replaceTrack("video", value);
      } else if (dataset.device === "mic") {
        saveChoices({ mic: value });
        await replaceTrack("audio", value);
      } else if (dataset.device === "speaker") {
        saveChoices({ speaker: value });
        for (const video of speakers()) {
          if (video.setSinkId) await video.setSinkId(value);
        }
      }
    } catch (err) {
      log(err);
      showError("That device could not be used. Choose another one.");
    }
  });
}
