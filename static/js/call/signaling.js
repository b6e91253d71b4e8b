// The signaling WebSocket: JSON messages in an envelope the server controls. Reconnects by
// itself after a drop, at once and then after 1, 2, 4 and 8 seconds, then every 10 (the
// session cookie authenticates each new socket), unless the server replaced, refused or ended
// this connection. A socket that hears nothing for SILENT_MS (it pings every PING_MS) is
// taken as dropped: a network gone away closes nothing by itself.

const FINAL_CODES = new Set([1000, 4401, 4403, 4404, 4409, 4428]);
const BACKOFF_MS = [0, 1000, 2000, 4000, 8000, 10000];
const PING_MS = 10000;
const SILENT_MS = 25000;

export class Signaling extends EventTarget {
  constructor(path) {
    super();
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.url = `${scheme}//${location.host}${path}`;
    this.retries = 0;
    this.stopped = false;
    this.socket = null;
  }

  open() {
    clearTimeout(this.reopenTimer);
    const socket = new WebSocket(this.url);
    this.socket = socket;
    this.heardAt = Date.now();
    socket.addEventListener("open", () => {
      this.heardAt = Date.now();
      this.watchSilence(socket);
      this.dispatchEvent(new CustomEvent("open"));
    });
    socket.addEventListener("message", (event) => {
      this.heardAt = Date.now();
      this.retries = 0; // the server took it (one that accepts and closes at once backs off)
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      this.dispatchEvent(new CustomEvent("message", { detail: message }));
    });
    socket.addEventListener("close", (event) => {
      if (socket !== this.socket) return;
      this.dropped(event.code);
    });
  }

  // The current socket is gone (closed, or silent): say so, and open another unless final.
  dropped(code) {
    clearInterval(this.pingTimer);
    const final = this.stopped || FINAL_CODES.has(code);
    this.dispatchEvent(new CustomEvent("close", { detail: { code, final } }));
    if (!final) {
      const delay = BACKOFF_MS[Math.min(this.retries++, BACKOFF_MS.length - 1)];
      this.reconnects = (this.reconnects || 0) + 1;
      this.reopenTimer = setTimeout(() => this.open(), delay);
    }
  }

  watchSilence(socket) {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (socket !== this.socket) return;
      if (Date.now() - this.heardAt > SILENT_MS) {
        this.socket = null; // whatever it says later is ignored
        socket.close();
        this.dropped(1006);
        return;
      }
      this.send({ type: "ping" });
    }, PING_MS);
  }

  isOpen() {
    return Boolean(this.socket && this.socket.readyState === WebSocket.OPEN);
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  close() {
    this.stopped = true;
    clearInterval(this.pingTimer);
    clearTimeout(this.reopenTimer);
    if (this.socket) this.socket.close(1000);
  }
}
