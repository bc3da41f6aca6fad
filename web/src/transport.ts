// Transports: how a Client's Envelopes travel. A WebSocket on /ws, or the
// HTTP fallback for networks that block WebSockets: a Server-Sent Events
// stream down (GET /ws/sse, each Envelope base64 in a data line) and POSTs up
// (POST /ws/send, length-prefixed binary Envelopes).

/** TransportKind names a transport: "websocket" (/ws) or "fallback" (HTTP: /ws/sse down, /ws/send up). */
export type TransportKind = "websocket" | "fallback";

/** TransportMode chooses the transport: "auto" tries the WebSocket first and falls back to HTTP when it does not open. */
export type TransportMode = "auto" | TransportKind;

/** CloseInfo describes how a connection closed. */
export interface CloseInfo {
  code: number;
  reason: string;
  wasClean: boolean;
}

/**
 * Transport is one connection carrying binary Envelopes both ways. Messages
 * that arrive before onmessage is set wait for it (see listen).
 */
export interface Transport {
  readonly kind: TransportKind;
  /** The URL it connected to. */
  readonly url: string;
  /** The WebSocket, for the websocket transport. */
  readonly socket: WebSocket | undefined;
  /** open resolves true once the transport carries messages, false if it closed (or timed out) first. */
  readonly open: Promise<boolean>;
  /** Why the transport closed before it opened, once open resolved false. */
  readonly failure: CloseInfo | undefined;
  /** isOpen reports whether send would send. */
  isOpen(): boolean;
  /** isActive reports whether the transport is connecting or open (not closing or closed). */
  isActive(): boolean;
  /** send sends one encoded Envelope. */
  send(data: Uint8Array): void;
  /** close ends the transport; onclose follows. */
  close(code: number, reason: string): void;
  /** listen sets the handlers, delivering the messages that waited for them. */
  listen(onmessage: ((data: Uint8Array) => void) | undefined, onclose: ((info: CloseInfo) => void) | undefined): void;
}

/** Base holds what both transports share: handlers, early messages, open and close. */
abstract class Base {
  failure: CloseInfo | undefined;
  readonly open: Promise<boolean>;
  protected resolveOpen!: (ok: boolean) => void;
  protected onmessage: ((data: Uint8Array) => void) | undefined;
  protected onclose: ((info: CloseInfo) => void) | undefined;
  private early: Uint8Array[] = [];
  private closedInfo: CloseInfo | undefined;
  protected opened = false;
  protected ended = false;

  constructor(openTimeoutMs: number | undefined) {
    this.open = new Promise((r) => (this.resolveOpen = r));
    if (openTimeoutMs !== undefined && openTimeoutMs > 0) {
      const timer = setTimeout(() => {
        if (!this.opened && !this.ended) {
          this.abandon({ code: 1006, reason: `not open after ${openTimeoutMs} ms`, wasClean: false });
        }
      }, openTimeoutMs);
      void this.open.then(() => clearTimeout(timer));
    }
  }

  /** abandon closes a transport that did not open in time. */
  protected abstract abandon(info: CloseInfo): void;

  listen(onmessage: ((data: Uint8Array) => void) | undefined, onclose: ((info: CloseInfo) => void) | undefined): void {
    this.onmessage = onmessage;
    this.onclose = onclose;
    while (onmessage !== undefined && this.onmessage === onmessage && this.early.length > 0) {
      onmessage(this.early.shift()!);
    }
    if (onclose !== undefined && this.closedInfo !== undefined && this.early.length === 0) {
      const info = this.closedInfo;
      this.closedInfo = undefined;
      onclose(info);
    }
  }

  protected markOpen(): void {
    if (this.opened || this.ended) return;
    this.opened = true;
    this.resolveOpen(true);
  }

  protected deliver(data: Uint8Array): void {
    if (this.onmessage !== undefined && this.early.length === 0) {
      this.onmessage(data);
    } else {
      this.early.push(data);
    }
  }

  /** ended reports the close once (to the handler, or to the next listen). */
  protected end(info: CloseInfo): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.opened) {
      this.failure = info;
      this.resolveOpen(false);
    }
    if (this.onclose !== undefined && this.early.length === 0) {
      this.onclose(info);
    } else {
      this.closedInfo = info;
    }
  }
}

/** WebSocketTransport is a WebSocket with subprotocol tickwire.v1. */
export class WebSocketTransport extends Base implements Transport {
  readonly kind = "websocket";
  readonly socket: WebSocket;

  constructor(
    readonly url: string,
    subprotocol: string,
    Ctor: typeof WebSocket,
    openTimeoutMs?: number,
  ) {
    super(openTimeoutMs);
    const ws = new Ctor(url, subprotocol);
    ws.binaryType = "arraybuffer";
    this.socket = ws;
    ws.onopen = () => this.markOpen();
    ws.onmessage = (ev: MessageEvent) => {
      if (ev.data instanceof ArrayBuffer) {
        this.deliver(new Uint8Array(ev.data)); // the server sends binary frames only
      }
    };
    ws.onclose = (ev: CloseEvent) => this.end({ code: ev.code, reason: ev.reason, wasClean: ev.wasClean });
  }

  protected abandon(info: CloseInfo): void {
    this.socket.close();
    this.end(info);
  }

  isOpen(): boolean {
    return this.socket.readyState === 1; /* OPEN */
  }
  isActive(): boolean {
    return this.socket.readyState <= 1; /* CONNECTING or OPEN */
  }
  send(data: Uint8Array): void {
    this.socket.send(data);
  }
  close(code: number, reason: string): void {
    this.socket.close(code, reason);
  }
}

/** The limits and session id of the fallback stream's first event. */
interface OpenEvent {
  sid: string;
  max_message_bytes: number;
  max_body_bytes: number;
  ping_ms: number;
  idle_ms: number;
}

/**
 * FallbackTransport is the HTTP fallback: a fetch of the event stream
 * (GET streamURL) for what the server sends, and POSTs to sendURL for what
 * the client sends, one at a time so that the server gets them in order
 * (messages queued meanwhile go together in the next POST).
 */
export class FallbackTransport extends Base implements Transport {
  readonly kind = "fallback";
  readonly socket = undefined;
  private readonly abort = new AbortController();
  private session: OpenEvent | undefined;
  private queue: Uint8Array[] = [];
  private posting = false;
  private pongDue = false;
  private closing = false;
  private serverClose: CloseInfo | undefined;

  constructor(
    /** The stream's URL: http(s)://host/ws/sse?subprotocol=tickwire.v1[&token=…]. */
    readonly url: string,
    private readonly sendURL: string,
    private readonly fetchFn: typeof fetch,
    openTimeoutMs?: number,
  ) {
    super(openTimeoutMs);
    void this.read();
  }

  protected abandon(info: CloseInfo): void {
    this.abort.abort();
    this.end(info);
  }

  isOpen(): boolean {
    return this.opened && !this.ended && !this.closing;
  }
  isActive(): boolean {
    return !this.ended && !this.closing;
  }

  send(data: Uint8Array): void {
    if (!this.isOpen()) return;
    this.queue.push(data);
    void this.pump();
  }

  /** close ends the session by ending the stream: the server sees its connection close. */
  close(code: number, reason: string): void {
    if (this.ended || this.closing) return;
    this.closing = true;
    this.abort.abort();
    // Like a WebSocket's close event, the report comes later, not inside close().
    setTimeout(() => this.end({ code, reason, wasClean: true }), 0);
  }

  /** read fetches the stream and parses its events until it ends. */
  private async read(): Promise<void> {
    try {
      await this.readStream();
    } finally {
      this.tasks?.port1.close();
      this.tasks?.port2.close();
    }
  }

  private async readStream(): Promise<void> {
    let res: Response;
    try {
      res = await this.fetchFn(this.url, {
        signal: this.abort.signal,
        cache: "no-store",
        credentials: "same-origin",
        headers: { Accept: "text/event-stream" },
      });
    } catch (e) {
      this.end({ code: 1006, reason: `fallback stream: ${String(e)}`, wasClean: false });
      return;
    }
    if (!res.ok || res.body === null) {
      const text = await res.text().catch(() => "");
      this.end({ code: 1006, reason: `fallback stream: HTTP ${res.status} ${text.trim()}`.slice(0, 200), wasClean: false });
      return;
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    let event = "";
    let data: string[] = [];
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          let line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.endsWith("\r")) line = line.slice(0, -1);
          if (line === "") {
            const delivered = data.length > 0 && this.event(event, data.join("\n"));
            event = "";
            data = [];
            // One message per task, as a WebSocket delivers them: what a
            // handler awaits (a reply's promise) settles before the next.
            if (delivered) await this.nextTask();
            if (this.ended) return;
          } else if (line.startsWith(":")) {
            if (line.slice(1).trim() === "ping") this.pong();
          } else {
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            let val = colon < 0 ? "" : line.slice(colon + 1);
            if (val.startsWith(" ")) val = val.slice(1);
            if (field === "event") event = val;
            else if (field === "data") data.push(val);
          }
        }
        if (this.ended) return;
      }
    } catch (e) {
      if (this.closing || this.ended) return; // aborted by close
      this.end(this.serverClose ?? { code: 1006, reason: `fallback stream: ${String(e)}`, wasClean: false });
      return;
    }
    this.end(this.serverClose ?? { code: 1006, reason: "fallback stream ended", wasClean: false });
  }

  /** event handles one event of the stream; it reports whether it delivered a message. */
  private event(kind: string, data: string): boolean {
    switch (kind) {
      case "":
      case "message":
        if (!this.opened) return false;
        this.deliver(fromBase64(data));
        return true;
      case "open":
        try {
          this.session = JSON.parse(data) as OpenEvent;
        } catch {
          this.abandon({ code: 1002, reason: "fallback stream: bad open event", wasClean: false });
          return false;
        }
        this.markOpen();
        return false;
      case "close": {
        const sp = data.indexOf(" ");
        const code = Number(sp < 0 ? data : data.slice(0, sp));
        this.serverClose = { code: Number.isFinite(code) ? code : 1005, reason: sp < 0 ? "" : data.slice(sp + 1), wasClean: true };
        return false;
      }
    }
    return false;
  }

  /** nextTask resolves in a later task (a MessageChannel message: no timer clamping). */
  private nextTask(): Promise<void> {
    if (this.tasks === undefined) {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => this.taskWaiters.shift()?.();
      this.tasks = ch;
    }
    return new Promise((resolve) => {
      this.taskWaiters.push(resolve);
      this.tasks!.port2.postMessage(0);
    });
  }
  private tasks: MessageChannel | undefined;
  private taskWaiters: (() => void)[] = [];

  /** pong answers the server's keepalive ping with an empty POST (unless a POST is due anyway). */
  private pong(): void {
    this.pongDue = true;
    void this.pump();
  }

  /** pump sends what is queued, one POST at a time. */
  private async pump(): Promise<void> {
    const s = this.session;
    if (this.posting || s === undefined || this.ended || (this.queue.length === 0 && !this.pongDue)) return;
    this.posting = true;
    this.pongDue = false;
    // As many queued messages as fit the server's body cap (at least one).
    const parts: Uint8Array[] = [];
    let size = 0;
    while (this.queue.length > 0) {
      const m = this.queue[0];
      const n = varintSize(m.length) + m.length;
      if (parts.length > 0 && size + n > s.max_body_bytes) break;
      parts.push(m);
      size += n;
      this.queue.shift();
    }
    const body = new Uint8Array(size);
    let off = 0;
    for (const m of parts) {
      off = putVarint(body, off, m.length);
      body.set(m, off);
      off += m.length;
    }
    let failure: CloseInfo | undefined;
    try {
      const res = await this.fetchFn(`${this.sendURL}?sid=${encodeURIComponent(s.sid)}`, {
        method: "POST",
        body,
        cache: "no-store",
        credentials: "same-origin",
        headers: { "Content-Type": "application/octet-stream" },
      });
      if (!res.ok) {
        const text = (await res.text().catch(() => "")).trim();
        failure = { code: 1006, reason: `fallback send: HTTP ${res.status} ${text}`.slice(0, 200), wasClean: false };
      }
    } catch (e) {
      failure = { code: 1006, reason: `fallback send: ${String(e)}`, wasClean: false };
    }
    this.posting = false;
    if (failure !== undefined) {
      // The session is over (or the network is): the stream's close event,
      // if one arrives, says why; end the stream after a moment for it.
      this.queue = [];
      if (!this.ended && !this.closing) {
        setTimeout(() => {
          if (this.ended) return;
          this.abort.abort();
          this.end(this.serverClose ?? failure);
        }, 200);
      }
      return;
    }
    void this.pump();
  }
}

/** fromBase64 decodes standard base64. */
function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** putVarint writes n as a protobuf varint at off and returns the offset after it. */
function putVarint(b: Uint8Array, off: number, n: number): number {
  while (n >= 0x80) {
    b[off++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  b[off++] = n;
  return off;
}

/** fallbackURLs derives the fallback's endpoints from the WebSocket URL of /ws: /ws/sse and /ws/send over http(s). */
export function fallbackURLs(wsURL: string, subprotocol: string, token: string | undefined): { stream: string; send: string } {
  const u = new URL(wsURL);
  u.protocol = u.protocol === "wss:" ? "https:" : "http:";
  const path = u.pathname.replace(/\/$/, "");
  u.hash = "";
  const send = new URL(u.toString());
  send.pathname = path + "/send";
  send.search = "";
  u.pathname = path + "/sse";
  u.searchParams.set("subprotocol", subprotocol);
  if (token) u.searchParams.set("token", token);
  return { stream: u.toString(), send: send.toString() };
}
