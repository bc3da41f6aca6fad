// Transports: how a Client's Envelopes travel. A WebSocket on /ws, or the
// HTTP fallback for networks that block WebSockets: a Server-Sent Events
// stream down (GET /ws/sse, each Envelope base64 in a data line) and POSTs up
// (POST /ws/send, length-prefixed binary Envelopes).
/** Base holds what both transports share: handlers, early messages, open and close. */
class Base {
    constructor(openTimeoutMs) {
        this.early = [];
        this.opened = false;
        this.ended = false;
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
    listen(onmessage, onclose) {
        this.onmessage = onmessage;
        this.onclose = onclose;
        while (onmessage !== undefined && this.onmessage === onmessage && this.early.length > 0) {
            onmessage(this.early.shift());
        }
        if (onclose !== undefined && this.closedInfo !== undefined && this.early.length === 0) {
            const info = this.closedInfo;
            this.closedInfo = undefined;
            onclose(info);
        }
    }
    markOpen() {
        if (this.opened || this.ended)
            return;
        this.opened = true;
        this.resolveOpen(true);
    }
    deliver(data) {
        if (this.onmessage !== undefined && this.early.length === 0) {
            this.onmessage(data);
        }
        else {
            this.early.push(data);
        }
    }
    /** ended reports the close once (to the handler, or to the next listen). */
    end(info) {
        if (this.ended)
            return;
        this.ended = true;
        if (!this.opened) {
            this.failure = info;
            this.resolveOpen(false);
        }
        if (this.onclose !== undefined && this.early.length === 0) {
            this.onclose(info);
        }
        else {
            this.closedInfo = info;
        }
    }
}
/** WebSocketTransport is a WebSocket with subprotocol tickwire.v1. */
export class WebSocketTransport extends Base {
    constructor(url, subprotocol, Ctor, openTimeoutMs) {
        super(openTimeoutMs);
        this.url = url;
        this.kind = "websocket";
        const ws = new Ctor(url, subprotocol);
        ws.binaryType = "arraybuffer";
        this.socket = ws;
        ws.onopen = () => this.markOpen();
        ws.onmessage = (ev) => {
            if (ev.data instanceof ArrayBuffer) {
                this.deliver(new Uint8Array(ev.data)); // the server sends binary frames only
            }
        };
        ws.onclose = (ev) => this.end({ code: ev.code, reason: ev.reason, wasClean: ev.wasClean });
    }
    abandon(info) {
        this.socket.close();
        this.end(info);
    }
    isOpen() {
        return this.socket.readyState === 1; /* OPEN */
    }
    isActive() {
        return this.socket.readyState <= 1; /* CONNECTING or OPEN */
    }
    send(data) {
        this.socket.send(data);
    }
    close(code, reason) {
        this.socket.close(code, reason);
    }
}
/**
 * FallbackTransport is the HTTP fallback: a fetch of the event stream
 * (GET streamURL) for what the server sends, and POSTs to sendURL for what
 * the client sends, one at a time so that the server gets them in order
 * (messages queued meanwhile go together in the next POST).
 */
export class FallbackTransport extends Base {
    constructor(
    /** The stream's URL: http(s)://host/ws/sse?subprotocol=tickwire.v1[&token=…]. */
    url, sendURL, fetchFn, openTimeoutMs) {
        super(openTimeoutMs);
        this.url = url;
        this.sendURL = sendURL;
        this.fetchFn = fetchFn;
        this.kind = "fallback";
        this.socket = undefined;
        this.abort = new AbortController();
        this.queue = [];
        this.posting = false;
        this.pongDue = false;
        this.closing = false;
        this.taskWaiters = [];
        void this.read();
    }
    abandon(info) {
        this.abort.abort();
        this.end(info);
    }
    isOpen() {
        return this.opened && !this.ended && !this.closing;
    }
    isActive() {
        return !this.ended && !this.closing;
    }
    send(data) {
        if (!this.isOpen())
            return;
        this.queue.push(data);
        void this.pump();
    }
    /** close ends the session by ending the stream: the server sees its connection close. */
    close(code, reason) {
        if (this.ended || this.closing)
            return;
        this.closing = true;
        this.abort.abort();
        // Like a WebSocket's close event, the report comes later, not inside close().
        setTimeout(() => this.end({ code, reason, wasClean: true }), 0);
    }
    /** read fetches the stream and parses its events until it ends. */
    async read() {
        try {
            await this.readStream();
        }
        finally {
            this.tasks?.port1.close();
            this.tasks?.port2.close();
        }
    }
    async readStream() {
        let res;
        try {
            res = await this.fetchFn(this.url, {
                signal: this.abort.signal,
                cache: "no-store",
                credentials: "same-origin",
                headers: { Accept: "text/event-stream" },
            });
        }
        catch (e) {
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
        let data = [];
        try {
            for (;;) {
                const { value, done } = await reader.read();
                if (done)
                    break;
                buf += decoder.decode(value, { stream: true });
                let nl;
                while ((nl = buf.indexOf("\n")) >= 0) {
                    let line = buf.slice(0, nl);
                    buf = buf.slice(nl + 1);
                    if (line.endsWith("\r"))
                        line = line.slice(0, -1);
                    if (line === "") {
                        const delivered = data.length > 0 && this.event(event, data.join("\n"));
                        event = "";
                        data = [];
                        // One message per task, as a WebSocket delivers them: what a
                        // handler awaits (a reply's promise) settles before the next.
                        if (delivered)
                            await this.nextTask();
                        if (this.ended)
                            return;
                    }
                    else if (line.startsWith(":")) {
                        if (line.slice(1).trim() === "ping")
                            this.pong();
                    }
                    else {
                        const colon = line.indexOf(":");
                        const field = colon < 0 ? line : line.slice(0, colon);
                        let val = colon < 0 ? "" : line.slice(colon + 1);
                        if (val.startsWith(" "))
                            val = val.slice(1);
                        if (field === "event")
                            event = val;
                        else if (field === "data")
                            data.push(val);
                    }
                }
                if (this.ended)
                    return;
            }
        }
        catch (e) {
            if (this.closing || this.ended)
                return; // aborted by close
            this.end(this.serverClose ?? { code: 1006, reason: `fallback stream: ${String(e)}`, wasClean: false });
            return;
        }
        this.end(this.serverClose ?? { code: 1006, reason: "fallback stream ended", wasClean: false });
    }
    /** event handles one event of the stream; it reports whether it delivered a message. */
    event(kind, data) {
        switch (kind) {
            case "":
            case "message":
                if (!this.opened)
                    return false;
                this.deliver(fromBase64(data));
                return true;
            case "open":
                try {
                    this.session = JSON.parse(data);
                }
                catch {
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
    nextTask() {
        if (this.tasks === undefined) {
            const ch = new MessageChannel();
            ch.port1.onmessage = () => this.taskWaiters.shift()?.();
            this.tasks = ch;
        }
        return new Promise((resolve) => {
            this.taskWaiters.push(resolve);
            this.tasks.port2.postMessage(0);
        });
    }
    /** pong answers the server's keepalive ping with an empty POST (unless a POST is due anyway). */
    pong() {
        this.pongDue = true;
        void this.pump();
    }
    /** pump sends what is queued, one POST at a time. */
    async pump() {
        const s = this.session;
        if (this.posting || s === undefined || this.ended || (this.queue.length === 0 && !this.pongDue))
            return;
        this.posting = true;
        this.pongDue = false;
        // As many queued messages as fit the server's body cap (at least one).
        const parts = [];
        let size = 0;
        while (this.queue.length > 0) {
            const m = this.queue[0];
            const n = varintSize(m.length) + m.length;
            if (parts.length > 0 && size + n > s.max_body_bytes)
                break;
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
        let failure;
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
        }
        catch (e) {
            failure = { code: 1006, reason: `fallback send: ${String(e)}`, wasClean: false };
        }
        this.posting = false;
        if (failure !== undefined) {
            // The session is over (or the network is): the stream's close event,
            // if one arrives, says why; end the stream after a moment for it.
            this.queue = [];
            if (!this.ended && !this.closing) {
                setTimeout(() => {
                    if (this.ended)
                        return;
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
function fromBase64(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++)
        out[i] = bin.charCodeAt(i);
    return out;
}
function varintSize(n) {
    let size = 1;
    while (n >= 0x80) {
        n = Math.floor(n / 128);
        size++;
    }
    return size;
}
/** putVarint writes n as a protobuf varint at off and returns the offset after it. */
function putVarint(b, off, n) {
    while (n >= 0x80) {
        b[off++] = (n & 0x7f) | 0x80;
        n = Math.floor(n / 128);
    }
    b[off++] = n;
    return off;
}
/** fallbackURLs derives the fallback's endpoints from the WebSocket URL of /ws: /ws/sse and /ws/send over http(s). */
export function fallbackURLs(wsURL, subprotocol, token) {
    const u = new URL(wsURL);
    u.protocol = u.protocol === "wss:" ? "https:" : "http:";
    const path = u.pathname.replace(/\/$/, "");
    u.hash = "";
    const send = new URL(u.toString());
    send.pathname = path + "/send";
    send.search = "";
    u.pathname = path + "/sse";
    u.searchParams.set("subprotocol", subprotocol);
    if (token)
        u.searchParams.set("token", token);
    return { stream: u.toString(), send: send.toString() };
}
