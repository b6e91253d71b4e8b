// The call page's ICE servers: fetched from the page's ICE endpoint (?relay=1 in the page's
// address asks for relay only) into state.ice, and the RTCPeerConnection configuration made
// from them. The two-person and the group call both use these.

export function iceLoader(url, state, log) {
  return async function refreshIce({ background = false } = {}) {
    const relay = new URLSearchParams(location.search).get("relay") === "1" ? "?relay=1" : "";
    // A refresh on a timer is not the person being active (idle sign-out still applies).
    const headers = background ? { "X-Background": "1" } : {};
    try {
      const response = await fetch(url + relay, { credentials: "same-origin", headers });
      if (!response.ok) throw new Error(`ICE servers: ${response.status}`);
      state.ice = await response.json();
    } catch (err) {
      log(err);
    }
  };
}

export function iceConfig(state) {
  return {
    iceServers: state.ice ? state.ice.iceServers : [],
    iceTransportPolicy: state.ice ? state.ice.iceTransportPolicy : "all",
    ...(state.certificate ? { certificates: [state.certificate] } : {}),
  };
}
