// Client: one session on /ws (a WebSocket, or the HTTP fallback where
// WebSockets are blocked), with requests, rooms, RTT and reconnection.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { EnvelopeSchema, ErrorCode, LeftSchema, } from "./gen/tickwire/v1/tickwire_pb.js";
import { shouldReconnect, TickwireError } from "./errors.js";
import { Emitter } from "./events.js";
import { Room } from "./room.js";
import { LatencyStats } from "./stats.js";
import { FallbackTransport, WebSocketTransport, fallbackURLs, } from "./transport.js";
/** SUBPROTOCOL is the WebSocket subprotocol of Tickwire's wire protocol. */
export const SUBPROTOCOL = "tickwire.v1";
/**
 * connect opens a session on a Tickwire server's /ws endpoint and resolves
 * once the server's Welcome arrives. url may be absolute (ws://, wss://,
 * http://, https://) or relative to the page ("/ws"). Where the WebSocket
 * does not open, the session runs over the HTTP fallback at url + "/sse"
 * and url + "/send" (ConnectOptions.transport).
 */
export async function connect(url, opts = {}) {
    const c = new Client(resolveURL(url), opts);
    await c.dial();
    return c;
}
/** resolveURL turns "/ws" or "http://host/ws" into a ws:// or wss:// URL. */
function resolveURL(url) {
    const base = typeof location === "undefined" ? undefined : location.href;
    const u = new URL(url, base);
    if (u.protocol === "http:")
        u.protocol = "ws:";
    if (u.protocol === "https:")
        u.protocol = "wss:";
    return u.toString();
}
/**
 * Client is one session: it sends Envelopes, matches replies to requests
 * by ref, keeps the rooms it joined up to date, measures RTT with pings and
 * reconnects (rejoining its rooms) when the connection drops. Create one
 * with connect.
 */
export class Client extends Emitter {
    /** Use connect. */
    constructor(
    /** The ws:// or wss:// URL of /ws. */
    url, opts) {
        super();
        this.url = url;
        this.opts = opts;
        /** Whether the session is open, reconnecting or closed for good. */
        this.status = "open";
        /** Round-trip times of pings, ms. */
        this.rtt = new LatencyStats();
        /** Server clock minus local clock (Date.now()), ms, from the ping with the lowest RTT among the recent ones. */
        this.clockOffsetMs = 0;
        /** In "auto": the WebSocket failed to open and the fallback worked, so reconnects use the fallback. */
        this.wsBlocked = false;
        this.upgradeAttempt = 0;
        this.probing = false;
        this.nextRef = 1;
        this.pending = new Map();
        this.rooms = new Map();
        this.offsets = [];
        this.userClosed = false;
        const r = opts.reconnect ?? true;
        this.reconnectOpts =
            r === false ? undefined : { initialDelayMs: 250, maxDelayMs: 4000, maxAttempts: 12, ...(r === true ? {} : r) };
        const u = opts.upgrade ?? true;
        this.upgradeOpts = u === false ? undefined : { initialDelayMs: 3000, maxDelayMs: 60000, ...(u === true ? {} : u) };
        this.link = {
            sendInput: (roomId, seq, payload) => this.send({ msg: { case: "input", value: { roomId, seq: BigInt(seq), payload } } }),
            leave: async (roomId) => {
                const room = this.rooms.get(roomId);
                this.rooms.delete(roomId);
                this.send({ msg: { case: "leaveRoom", value: { roomId } } });
                room?._left(create(LeftSchema, { roomId, reason: "left" }));
            },
            resync: (reason) => this.drop(4000, `resync: ${reason}`),
        };
    }
    /**
     * The token this client (re)connects with: the one given to connect, or
     * the guest token of the first Welcome. It authenticates the lobby's HTTP
     * API too (`new Lobby({ token: client.token })`).
     */
    get token() {
        return this.opts.token ?? this.guestToken;
    }
    /** The player this session speaks for. */
    get playerId() {
        return this.welcome?.playerId ?? "";
    }
    /** This connection's session id (changes on reconnect). */
    get sessionId() {
        return this.welcome?.sessionId ?? "";
    }
    /** The transport of the current connection: "websocket" or "fallback" (undefined before the first connect). */
    get transport() {
        return this.conn?.kind;
    }
    /** The current connection's WebSocket, when the session runs on one. */
    get ws() {
        return this.conn?.socket;
    }
    /** serverNow estimates the server's wall clock, Unix ms. */
    serverNow() {
        return Date.now() + this.clockOffsetMs;
    }
    /** send sends one envelope; it returns false (and sends nothing) while the connection is not open. */
    send(env) {
        const t = this.conn;
        if (this.status !== "open" || t === undefined || !t.isOpen()) {
            return false;
        }
        t.send(toBinary(EnvelopeSchema, create(EnvelopeSchema, env)));
        return true;
    }
    /**
     * request sends env with a fresh ref and resolves with the envelope that
     * answers it; it rejects with a TickwireError for a server Error, a lost
     * connection or a timeout.
     */
    request(env, timeoutMs) {
        return this.track(env, timeoutMs);
    }
    /** ping measures one round trip through the Envelope path, ms. */
    async ping() {
        const sent = performance.now();
        const wall = Date.now();
        const reply = await this.request({
            msg: { case: "ping", value: { clientTimeUnixNano: BigInt(Math.round(wall)) * 1000000n } },
        });
        const rtt = performance.now() - sent;
        if (reply.msg.case === "pong") {
            const offset = Number(reply.msg.value.serverTimeUnixNano) / 1e6 - (wall + rtt / 2);
            this.offsets.push({ rtt, offset });
            if (this.offsets.length > 8)
                this.offsets.shift();
            this.clockOffsetMs = this.offsets.reduce((a, b) => (b.rtt < a.rtt ? b : a)).offset;
        }
        this.rtt.add(rtt);
        this.emit("rtt", rtt);
        return rtt;
    }
    /**
     * join takes a seat in a room and resolves with the Room once the server
     * confirms it (the first snapshot follows). schemas give the game's state
     * message (required) and input message (for Room.sendInput).
     */
    async join(req, schemas) {
        const reply = await this.track({ msg: { case: "joinRoom", value: req } }, undefined, {
            state: schemas.state,
            input: schemas.input,
        });
        // dispatch registered the room when the Joined arrived, before any of
        // its frames could be handled.
        const room = reply.msg.case === "joined" ? this.rooms.get(reply.msg.value.roomId) : undefined;
        if (room === undefined) {
            throw new TickwireError(ErrorCode.UNSPECIFIED, `join: unexpected reply ${reply.msg.case}`);
        }
        return room;
    }
    /**
     * lobby asks the lobby over this WebSocket (the same operations as its
     * HTTP API, for this session's player), e.g.
     * `client.lobby({ op: { case: "join", value: { game: "arena", quick: true } } })`,
     * and resolves with the reply's fields; a refusal rejects with a TickwireError.
     */
    async lobby(req) {
        const reply = await this.request({ msg: { case: "lobby", value: req } });
        if (reply.msg.case !== "lobbyReply") {
            throw new TickwireError(ErrorCode.UNSPECIFIED, `lobby: unexpected reply ${reply.msg.case}`);
        }
        return reply.msg.value;
    }
    /** room returns the joined room with id, if any. */
    room(id) {
        return this.rooms.get(id);
    }
    /**
     * close ends the session for good with a clean close (code 1000 or
     * 3000–4999) and resolves when the connection has closed. No reconnect follows.
     */
    close(code = 1000, reason = "client closed") {
        this.userClosed = true;
        this.stopUpgrade();
        if (this.closeInfo !== undefined) {
            return Promise.resolve(this.closeInfo);
        }
        return new Promise((resolve) => {
            this.once("close", resolve);
            const t = this.conn;
            if (t !== undefined && t.isActive()) {
                t.close(code, reason);
            }
            else {
                this.finish({ code, reason, wasClean: true });
            }
        });
    }
    /**
     * drop closes the current connection as if it had failed, so the client
     * reconnects and rejoins its rooms (each gets a fresh snapshot). Tests use
     * it to exercise reconnection; the client uses it to recover from a frame
     * it could not apply.
     */
    drop(code = 4000, reason = "client dropped the connection") {
        this.conn?.close(code, truncate(reason, 123));
    }
    /** currentToken is the token of the next (re)connect. */
    async currentToken() {
        return this.opts.getToken !== undefined ? await this.opts.getToken() : this.token;
    }
    openWebSocket(token, openTimeoutMs) {
        const u = new URL(this.url);
        if (token)
            u.searchParams.set("token", token);
        return new WebSocketTransport(u.toString(), SUBPROTOCOL, this.opts.WebSocket ?? WebSocket, openTimeoutMs);
    }
    openFallback(token) {
        const { stream, send } = fallbackURLs(this.url, SUBPROTOCOL, token);
        const f = this.opts.fetch ?? globalThis.fetch.bind(globalThis);
        return new FallbackTransport(stream, send, f);
    }
    /**
     * @internal dial opens one connection and resolves with its Welcome. In
     * "auto" it tries the WebSocket first, unless the last connection had to
     * fall back (then the fallback, and the background upgrade retries the
     * WebSocket).
     */
    async dial() {
        const token = await this.currentToken();
        const mode = this.opts.transport ?? "auto";
        if (mode === "websocket") {
            return this.dialOn(this.openWebSocket(token));
        }
        if (mode === "fallback" || this.wsBlocked) {
            return this.dialOn(this.openFallback(token));
        }
        const ws = this.openWebSocket(token, this.opts.webSocketOpenTimeoutMs ?? 3000);
        this.conn = ws;
        if (await ws.open) {
            return this.dialOn(ws);
        }
        if (this.userClosed) {
            const info = { code: 1000, reason: "client closed", wasClean: true };
            throw Object.assign(new TickwireError(ErrorCode.UNSPECIFIED, `connect ${this.url}: client closed`), { close: info });
        }
        // The WebSocket did not open (blocked, refused, or too slow): the HTTP fallback.
        const wsFailure = ws.failure ?? { code: 1006, reason: "", wasClean: false };
        try {
            const welcome = await this.dialOn(this.openFallback(token));
            this.wsBlocked = true;
            return welcome;
        }
        catch (e) {
            const info = e.close ?? wsFailure;
            throw Object.assign(new TickwireError(ErrorCode.UNSPECIFIED, `connect ${this.url}: closed ${wsFailure.code} ${wsFailure.reason}; fallback: ${info.code} ${info.reason}`), { close: info });
        }
    }
    /**
     * dialOn makes t the connection and resolves with its Welcome. first is
     * a message t already delivered (a probe's Welcome), handled before the rest.
     */
    dialOn(t, first) {
        const before = this.conn?.kind;
        this.conn = t;
        return new Promise((resolve, reject) => {
            let welcomed = false;
            const timer = setTimeout(() => {
                if (!welcomed)
                    t.close(4000, "no welcome");
            }, this.opts.connectTimeoutMs ?? 10000);
            const onEnvelope = (env) => {
                if (this.conn !== t)
                    return;
                if (!welcomed && env.msg.case === "welcome") {
                    welcomed = true;
                    clearTimeout(timer);
                    this.welcome = env.msg.value;
                    this.status = "open";
                    this.startPing();
                    if (before !== undefined && before !== t.kind)
                        this.emit("transport", t.kind);
                    if (t.kind === "fallback")
                        this.scheduleUpgrade();
                    resolve(env.msg.value);
                }
                this.dispatch(env);
            };
            if (first !== undefined)
                onEnvelope(first);
            t.listen((data) => {
                const env = this.decode(data);
                if (env !== undefined)
                    onEnvelope(env);
            }, (info) => {
                clearTimeout(timer);
                if (this.conn !== t)
                    return;
                if (!welcomed) {
                    reject(Object.assign(new TickwireError(ErrorCode.UNSPECIFIED, `connect ${t.url.split("?")[0]}: closed ${info.code} ${info.reason}`), { close: info }));
                    return;
                }
                if (this.probing && t.kind === "fallback") {
                    this.heldClose = info; // the probe decides: switch to it, or report this close
                    return;
                }
                this.lost(info);
            });
        });
    }
    /** scheduleUpgrade plans the next background WebSocket attempt while the session runs on the fallback. */
    scheduleUpgrade() {
        const o = this.upgradeOpts;
        if (o === undefined || (this.opts.transport ?? "auto") !== "auto" || this.upgradeTimer !== undefined || this.userClosed)
            return;
        const base = Math.min(o.maxDelayMs, o.initialDelayMs * 2 ** this.upgradeAttempt);
        const delayMs = Math.round(base * (0.8 + 0.4 * Math.random()));
        this.upgradeTimer = setTimeout(() => {
            this.upgradeTimer = undefined;
            void this.probe();
        }, delayMs);
    }
    stopUpgrade() {
        if (this.upgradeTimer !== undefined) {
            clearTimeout(this.upgradeTimer);
            this.upgradeTimer = undefined;
        }
    }
    /**
     * probe opens a WebSocket beside the fallback. Once its Welcome arrives
     * the session moves to it: the client adopts the new connection, ends the
     * fallback's, and rejoins its rooms (the reconnection path: same token, so
     * the same player, whose seats wait for him), emitting "reconnect" and
     * "transport". A probe that fails schedules the next, with backoff.
     */
    async probe() {
        const old = this.conn;
        if (this.status !== "open" || old?.kind !== "fallback" || this.userClosed || this.probing)
            return;
        this.probing = true;
        const token = await this.currentToken();
        const ws = this.openWebSocket(token, this.opts.webSocketOpenTimeoutMs ?? 3000);
        let env;
        if (await ws.open) {
            env = await new Promise((resolve) => {
                const timer = setTimeout(() => resolve(undefined), this.opts.connectTimeoutMs ?? 10000);
                ws.listen((data) => {
                    const e = this.decode(data);
                    if (e?.msg.case === "welcome") {
                        clearTimeout(timer);
                        ws.listen(undefined, undefined); // later messages wait for dialOn's handlers
                        resolve(e);
                    }
                }, () => {
                    clearTimeout(timer);
                    resolve(undefined);
                });
            });
        }
        this.probing = false;
        const held = this.heldClose;
        this.heldClose = undefined;
        if (env === undefined || env.msg.case !== "welcome" || this.status !== "open" || this.conn !== old || this.userClosed) {
            if (ws.isActive())
                ws.close(1000, "upgrade probe");
            if (held !== undefined && this.conn === old) {
                this.lost(held);
                return;
            }
            this.upgradeAttempt++;
            if (this.conn === old && this.status === "open")
                this.scheduleUpgrade();
            return;
        }
        // Move the session: requests in flight were on the old connection.
        this.wsBlocked = false;
        this.upgradeAttempt = 0;
        this.failPending({ code: 1000, reason: "moved to a WebSocket", wasClean: true });
        await this.dialOn(ws, env);
        this.emit("reconnect", env.msg.value);
        await Promise.allSettled([...this.rooms.values()].map((room) => this.rejoin(room)));
        old.close(1000, "moved to a WebSocket"); // after the rejoins, so that seats never wait
    }
    /** decode parses one message; undecodable ones are reported and skipped. */
    decode(data) {
        try {
            return fromBinary(EnvelopeSchema, data, { readUnknownFields: false });
        }
        catch (e) {
            this.emit("error", new TickwireError(ErrorCode.UNSPECIFIED, `undecodable frame: ${String(e)}`));
            return undefined;
        }
    }
    /** dispatch handles one envelope from the server. */
    dispatch(env) {
        const now = performance.now();
        this.emit("envelope", env);
        const p = env.ref !== 0 ? this.pending.get(env.ref) : undefined;
        if (p !== undefined) {
            this.pending.delete(env.ref);
            clearTimeout(p.timer);
        }
        const m = env.msg;
        switch (m.case) {
            case "welcome":
                this.welcome = m.value;
                if (m.value.token !== "" && this.opts.token === undefined && this.opts.getToken === undefined) {
                    this.guestToken = m.value.token; // come back as this guest after a drop
                }
                this.emit("welcome", m.value);
                break;
            case "joined": {
                const old = this.rooms.get(m.value.roomId);
                if (old !== undefined) {
                    old._rejoined(m.value);
                }
                else if (p?.join !== undefined) {
                    const room = new Room(this.link, m.value, p.join.state, p.join.input);
                    this.rooms.set(room.id, room);
                }
                this.emit("joined", m.value);
                break;
            }
            case "left": {
                const room = this.rooms.get(m.value.roomId);
                this.rooms.delete(m.value.roomId);
                room?._left(m.value);
                this.emit("left", m.value);
                break;
            }
            case "state":
                this.rooms.get(m.value.roomId)?._frame(m.value, now);
                this.emit("state", m.value);
                break;
            case "error": {
                const err = new TickwireError(m.value.code, m.value.message, m.value.url, m.value.roomId);
                if (p !== undefined) {
                    p.reject(err);
                    return;
                }
                this.emit("error", err);
                return;
            }
        }
        p?.resolve(env);
    }
    /** track sends env with a fresh ref and waits for the reply. */
    track(env, timeoutMs, join) {
        const ref = this.nextRef;
        this.nextRef = this.nextRef >= 0xffffffff ? 1 : this.nextRef + 1;
        return new Promise((resolve, reject) => {
            const msg = create(EnvelopeSchema, env);
            msg.ref = ref;
            if (!this.send(msg)) {
                reject(new TickwireError(ErrorCode.UNSPECIFIED, `not connected (${this.status})`));
                return;
            }
            const ms = timeoutMs ?? this.opts.requestTimeoutMs ?? 10000;
            const timer = setTimeout(() => {
                this.pending.delete(ref);
                reject(new TickwireError(ErrorCode.UNSPECIFIED, `request ${msg.msg.case} timed out after ${ms} ms`));
            }, ms);
            this.pending.set(ref, { resolve, reject, timer, join });
        });
    }
    startPing() {
        this.stopPing();
        const ping = () => {
            this.ping().catch(() => { }); // a lost connection is reported by close
        };
        ping();
        const every = this.opts.pingIntervalMs ?? 2000;
        if (every > 0) {
            this.pingTimer = setInterval(ping, every);
        }
    }
    stopPing() {
        if (this.pingTimer !== undefined) {
            clearInterval(this.pingTimer);
            this.pingTimer = undefined;
        }
    }
    /** failPending rejects every request waiting for a reply. */
    failPending(info) {
        for (const [ref, p] of this.pending) {
            clearTimeout(p.timer);
            p.reject(new TickwireError(ErrorCode.UNSPECIFIED, `connection closed: ${info.code} ${info.reason}`));
            this.pending.delete(ref);
        }
    }
    /** lost handles the close of a welcomed connection. */
    lost(info) {
        this.stopPing();
        this.stopUpgrade();
        this.failPending(info);
        if (this.userClosed || this.reconnectOpts === undefined || !shouldReconnect(info.code)) {
            this.finish(info);
            return;
        }
        this.status = "reconnecting";
        void this.reconnect(info, this.reconnectOpts);
    }
    /** reconnect dials with exponential backoff, then rejoins every room. */
    async reconnect(info, o) {
        for (let attempt = 1; attempt <= o.maxAttempts; attempt++) {
            const base = Math.min(o.maxDelayMs, o.initialDelayMs * 2 ** (attempt - 1));
            const delayMs = Math.round(base * (0.8 + 0.4 * Math.random())); // jitter: do not reconnect in lockstep
            this.emit("disconnect", { ...info, attempt, delayMs });
            await new Promise((r) => setTimeout(r, delayMs));
            if (this.userClosed) {
                this.finish({ code: 1000, reason: "client closed", wasClean: true });
                return;
            }
            let welcome;
            try {
                welcome = await this.dial();
            }
            catch (e) {
                info = e.close ?? { code: 1006, reason: String(e), wasClean: false };
                if (this.userClosed || !shouldReconnect(info.code))
                    break;
                continue;
            }
            this.emit("reconnect", welcome);
            for (const room of [...this.rooms.values()]) {
                void this.rejoin(room);
            }
            return;
        }
        this.finish(info);
    }
    /** rejoin asks for room's seat again; a refusal ends the room. */
    async rejoin(room) {
        try {
            const req = this.opts.rejoin !== undefined ? await this.opts.rejoin(room) : { roomId: room.id };
            await this.track({ msg: { case: "joinRoom", value: req } }, undefined);
        }
        catch (e) {
            if (e instanceof TickwireError && e.code !== ErrorCode.UNSPECIFIED) {
                this.rooms.delete(room.id);
                room._left(create(LeftSchema, { roomId: room.id, code: e.code, reason: `rejoin refused: ${e.message}` }));
            }
            // A lost connection: the next reconnect tries again.
        }
    }
    /** finish closes the client for good. */
    finish(info) {
        if (this.closeInfo !== undefined)
            return;
        this.stopPing();
        this.stopUpgrade();
        this.status = "closed";
        this.closeInfo = info;
        for (const room of this.rooms.values()) {
            room._left(create(LeftSchema, { roomId: room.id, reason: `connection closed: ${info.code} ${info.reason}` }));
        }
        this.rooms.clear();
        this.emit("close", info);
    }
}
/** truncate cuts s to at most n bytes of UTF-8 (a close reason may have 123), on a character boundary. */
function truncate(s, n) {
    const enc = new TextEncoder();
    const chars = Array.from(s).slice(0, n);
    while (enc.encode(chars.join("")).length > n) {
        chars.pop();
    }
    return chars.join("");
}
