// The signaling WebSocket: JSON messages in an envelope the server controls. Reconnects after
// a drop (with back-off) unless the server replaced, refused or ended this connection.

const FINAL_CODES = new Set([1000, 4401, 4403, 4404, 4409, 4428]);

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
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.retries = 0;
      this.dispatchEvent(new CustomEvent("open"));
    });
    socket.addEventListener("message", (event) => {
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
      const final = this.stopped || FINAL_CODES.has(event.code);
      this.dispatchEvent(new CustomEvent("close", { detail: { code: event.code, final } }));
      if (!final) {
        const delay = Math.min(8000, 500 * 2 ** this.retries++);
        setTimeout(() => this.open(), delay);
      }
    });
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
    if (this.socket) this.socket.close(1000);
  }
}
