// Client: one session on /ws (a WebSocket, or the HTTP fallback where
// WebSockets are blocked), with requests, rooms, RTT and reconnection.
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import {
  EnvelopeSchema,
  ErrorCode,
  LeftSchema,
  type Envelope,
  type Joined,
  type Left,
  type LobbyReply,
  type LobbyRequestSchema,
  type StateFrame,
  type Welcome,
} from "./gen/tickwire/v1/tickwire_pb.js";
import { shouldReconnect, TickwireError } from "./errors.js";
import { Emitter } from "./events.js";
import { Room, type RoomLink } from "./room.js";
import { LatencyStats } from "./stats.js";
import {
  FallbackTransport,
  WebSocketTransport,
  fallbackURLs,
  type CloseInfo,
  type Transport,
  type TransportKind,
  type TransportMode,
} from "./transport.js";

export type { CloseInfo, TransportKind, TransportMode } from "./transport.js";

/** SUBPROTOCOL is the WebSocket subprotocol of Tickwire's wire protocol. */
export const SUBPROTOCOL = "tickwire.v1";

/** EnvelopeInit is what send and request take: an Envelope or its init shape, e.g. `{ msg: { case: "ping", value: {} } }`. */
export type EnvelopeInit = MessageInitShape<typeof EnvelopeSchema>;

/** JoinRoomInit asks for a seat: `{ game }` (open join), `{ roomId }`, or `{ roomId, seat }` with a lobby seat. */
export type JoinRoomInit = { roomId?: string; seat?: string; game?: string; create?: boolean };

/** ReconnectOptions shape the backoff after an unexpected close. */
export interface ReconnectOptions {
  /** Delay before the first attempt, ms. Default 250. */
  initialDelayMs: number;
  /** Longest delay between attempts, ms. Default 4000. */
  maxDelayMs: number;
  /** Attempts before giving up (then the client closes). Default 12 (about half a minute). */
  maxAttempts: number;
}

/** UpgradeOptions shape the background WebSocket retries while on the fallback. */
export interface UpgradeOptions {
  /** Delay before the first retry, ms. Default 3000. */
  initialDelayMs: number;
  /** Longest delay between retries, ms. Default 60000. */
  maxDelayMs: number;
}

/**
 * ConnectOptions configure connect. Every field is optional. Without a
 * token the server makes the session a fresh guest and sends its token in
 * the Welcome; the client keeps it and presents it on reconnects, so it
 * comes back as the same player.
 */
export interface ConnectOptions {
  /** A lobby token, sent as the `token` query parameter of every (re)connect. */
  token?: string;
  /** Called before every (re)connect for the current token; wins over token. Pass `() => lobby.token`. */
  getToken?: () => string | undefined | Promise<string | undefined>;
  /**
   * Called for each room to rejoin after a reconnect; default `{ roomId }`.
   * A lobby-seated room may fetch a fresh seat here (seats are single-use).
   */
  rejoin?: (room: Room<DescMessage, DescMessage>) => JoinRoomInit | Promise<JoinRoomInit>;
  /** Reconnect after an unexpected close (true: the defaults; false: never). Default true. */
  reconnect?: boolean | Partial<ReconnectOptions>;
  /** Interval between RTT pings, ms; 0 pings once after each connect only. Default 2000. */
  pingIntervalMs?: number;
  /** How long a request waits for its reply, ms. Default 10000. */
  requestTimeoutMs?: number;
  /** How long a connect waits for the server's Welcome, ms. Default 10000. */
  connectTimeoutMs?: number;
  /** The WebSocket constructor to use. Default: globalThis.WebSocket. */
  WebSocket?: typeof WebSocket;
  /**
   * Which transport carries the session: "websocket" (/ws only), "fallback"
   * (HTTP only: /ws/sse down, /ws/send up) or "auto": the WebSocket, and the
   * fallback when the WebSocket does not open; on the fallback the client
   * keeps retrying the WebSocket in the background and moves the session to
   * it when one opens. Default "auto".
   */
  transport?: TransportMode;
  /** In "auto", how long a WebSocket may take to open before the fallback is tried, ms. Default 3000. */
  webSocketOpenTimeoutMs?: number;
  /** In "auto", retry the WebSocket while on the fallback (true: the defaults; false: stay on the fallback). Default true. */
  upgrade?: boolean | Partial<UpgradeOptions>;
  /** The fetch function the fallback uses. Default: globalThis.fetch. */
  fetch?: typeof fetch;
}

/** ClientEvents are the events a Client emits. */
export interface ClientEvents {
  /** Every envelope received, before it is handled. */
  envelope: Envelope;
  welcome: Welcome;
  joined: Joined;
  left: Left;
  state: StateFrame;
  /** A server Error that answers no pending request, or a frame that did not decode. */
  error: TickwireError;
  /** A ping's round trip, ms. */
  rtt: number;
  /** The connection dropped; attempt number `attempt` follows in delayMs. */
  disconnect: CloseInfo & { attempt: number; delayMs: number };
  /** A reconnect succeeded (rooms are being rejoined). */
  reconnect: Welcome;
  /** The client is closed for good: closed by the user, refused, or out of reconnect attempts. */
  close: CloseInfo;
  /** The session moved to another transport ("websocket" after an upgrade, "fallback" after a reconnect that had to fall back). */
  transport: TransportKind;
}

type Status = "open" | "reconnecting" | "closed";

interface Pending {
  resolve: (env: Envelope) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  join?: { state: DescMessage; input: DescMessage | undefined };
}

/**
 * connect opens a session on a Tickwire server's /ws endpoint and resolves
 * once the server's Welcome arrives. url may be absolute (ws://, wss://,
 * http://, https://) or relative to the page ("/ws"). Where the WebSocket
 * does not open, the session runs over the HTTP fallback at url + "/sse"
 * and url + "/send" (ConnectOptions.transport).
 */
export async function connect(url: string, opts: ConnectOptions = {}): Promise<Client> {
  const c = new Client(resolveURL(url), opts);
  await c.dial();
  return c;
}

/** resolveURL turns "/ws" or "http://host/ws" into a ws:// or wss:// URL. */
function resolveURL(url: string): string {
  const base = typeof location === "undefined" ? undefined : location.href;
  const u = new URL(url, base);
  if (u.protocol === "http:") u.protocol = "ws:";
  if (u.protocol === "https:") u.protocol = "wss:";
  return u.toString();
}

/**
 * Client is one session: it sends Envelopes, matches replies to requests
 * by ref, keeps the rooms it joined up to date, measures RTT with pings and
 * reconnects (rejoining its rooms) when the connection drops. Create one
 * with connect.
 */
export class Client extends Emitter<ClientEvents> {
  /** The latest Welcome: this session's id and player id. */
  welcome: Welcome | undefined;
  /** Whether the session is open, reconnecting or closed for good. */
  status: Status = "open";
  /** Round-trip times of pings, ms. */
  readonly rtt = new LatencyStats();
  /** Server clock minus local clock (Date.now()), ms, from the ping with the lowest RTT among the recent ones. */
  clockOffsetMs = 0;

  private conn: Transport | undefined;
  /** In "auto": the WebSocket failed to open and the fallback worked, so reconnects use the fallback. */
  private wsBlocked = false;
  private upgradeTimer: ReturnType<typeof setTimeout> | undefined;
  private upgradeAttempt = 0;
  private probing = false;
  /** A close of the fallback while a WebSocket probe runs: acted on if the probe fails. */
  private heldClose: CloseInfo | undefined;
  private readonly upgradeOpts: UpgradeOptions | undefined;
  private nextRef = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly rooms = new Map<string, Room<DescMessage, DescMessage>>();
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private offsets: { rtt: number; offset: number }[] = [];
  private userClosed = false;
  private closeInfo: CloseInfo | undefined;
  private readonly reconnectOpts: ReconnectOptions | undefined;
  private readonly link: RoomLink;

  /** Use connect. */
  constructor(
    /** The ws:// or wss:// URL of /ws. */
    readonly url: string,
    private readonly opts: ConnectOptions,
  ) {
    super();
    const r = opts.reconnect ?? true;
    this.reconnectOpts =
      r === false ? undefined : { initialDelayMs: 250, maxDelayMs: 4000, maxAttempts: 12, ...(r === true ? {} : r) };
    const u = opts.upgrade ?? true;
    this.upgradeOpts = u === false ? undefined : { initialDelayMs: 3000, maxDelayMs: 60_000, ...(u === true ? {} : u) };
    this.link = {
      sendInput: (roomId, seq, payload) =>
        this.send({ msg: { case: "input", value: { roomId, seq: BigInt(seq), payload } } }),
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
  get token(): string | undefined {
    return this.opts.token ?? this.guestToken;
  }
  private guestToken: string | undefined;

  /** The player this session speaks for. */
  get playerId(): string {
    return this.welcome?.playerId ?? "";
  }
  /** This connection's session id (changes on reconnect). */
  get sessionId(): string {
    return this.welcome?.sessionId ?? "";
  }

  /** The transport of the current connection: "websocket" or "fallback" (undefined before the first connect). */
  get transport(): TransportKind | undefined {
    return this.conn?.kind;
  }

  /** The current connection's WebSocket, when the session runs on one. */
  private get ws(): WebSocket | undefined {
    return this.conn?.socket;
  }

  /** serverNow estimates the server's wall clock, Unix ms. */
  serverNow(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** send sends one envelope; it returns false (and sends nothing) while the connection is not open. */
  send(env: EnvelopeInit): boolean {
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
  request(env: EnvelopeInit, timeoutMs?: number): Promise<Envelope> {
    return this.track(env, timeoutMs);
  }

  /** ping measures one round trip through the Envelope path, ms. */
  async ping(): Promise<number> {
    const sent = performance.now();
    const wall = Date.now();
    const reply = await this.request({
      msg: { case: "ping", value: { clientTimeUnixNano: BigInt(Math.round(wall)) * 1_000_000n } },
    });
    const rtt = performance.now() - sent;
    if (reply.msg.case === "pong") {
      const offset = Number(reply.msg.value.serverTimeUnixNano) / 1e6 - (wall + rtt / 2);
      this.offsets.push({ rtt, offset });
      if (this.offsets.length > 8) this.offsets.shift();
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
  async join<S extends DescMessage, I extends DescMessage = DescMessage>(
    req: JoinRoomInit,
    schemas: { state: S; input?: I },
  ): Promise<Room<S, I>> {
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
    return room as unknown as Room<S, I>;
  }

  /**
   * lobby asks the lobby over this WebSocket (the same operations as its
   * HTTP API, for this session's player), e.g.
   * `client.lobby({ op: { case: "join", value: { game: "arena", quick: true } } })`,
   * and resolves with the reply's fields; a refusal rejects with a TickwireError.
   */
  async lobby(req: MessageInitShape<typeof LobbyRequestSchema>): Promise<LobbyReply> {
    const reply = await this.request({ msg: { case: "lobby", value: req } });
    if (reply.msg.case !== "lobbyReply") {
      throw new TickwireError(ErrorCode.UNSPECIFIED, `lobby: unexpected reply ${reply.msg.case}`);
    }
    return reply.msg.value;
  }

  /** room returns the joined room with id, if any. */
  room(id: string): Room<DescMessage, DescMessage> | undefined {
    return this.rooms.get(id);
  }

  /**
   * close ends the session for good with a clean close (code 1000 or
   * 3000–4999) and resolves when the connection has closed. No reconnect follows.
   */
  close(code = 1000, reason = "client closed"): Promise<CloseInfo> {
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
      } else {
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
  drop(code = 4000, reason = "client dropped the connection"): void {
    this.conn?.close(code, truncate(reason, 123));
  }

  /** currentToken is the token of the next (re)connect. */
  private async currentToken(): Promise<string | undefined> {
    return this.opts.getToken !== undefined ? await this.opts.getToken() : this.token;
  }

  private openWebSocket(token: string | undefined, openTimeoutMs?: number): WebSocketTransport {
    const u = new URL(this.url);
    if (token) u.searchParams.set("token", token);
    return new WebSocketTransport(u.toString(), SUBPROTOCOL, this.opts.WebSocket ?? WebSocket, openTimeoutMs);
  }

  private openFallback(token: string | undefined): FallbackTransport {
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
  async dial(): Promise<Welcome> {
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
    } catch (e) {
      const info = (e as { close?: CloseInfo }).close ?? wsFailure;
      throw Object.assign(
        new TickwireError(ErrorCode.UNSPECIFIED, `connect ${this.url}: closed ${wsFailure.code} ${wsFailure.reason}; fallback: ${info.code} ${info.reason}`),
        { close: info },
      );
    }
  }

  /**
   * dialOn makes t the connection and resolves with its Welcome. first is
   * a message t already delivered (a probe's Welcome), handled before the rest.
   */
  private dialOn(t: Transport, first?: Envelope): Promise<Welcome> {
    const before = this.conn?.kind;
    this.conn = t;
    return new Promise<Welcome>((resolve, reject) => {
      let welcomed = false;
      const timer = setTimeout(() => {
        if (!welcomed) t.close(4000, "no welcome");
      }, this.opts.connectTimeoutMs ?? 10_000);
      const onEnvelope = (env: Envelope) => {
        if (this.conn !== t) return;
        if (!welcomed && env.msg.case === "welcome") {
          welcomed = true;
          clearTimeout(timer);
          this.welcome = env.msg.value;
          this.status = "open";
          this.startPing();
          if (before !== undefined && before !== t.kind) this.emit("transport", t.kind);
          if (t.kind === "fallback") this.scheduleUpgrade();
          resolve(env.msg.value);
        }
        this.dispatch(env);
      };
      if (first !== undefined) onEnvelope(first);
      t.listen(
        (data) => {
          const env = this.decode(data);
          if (env !== undefined) onEnvelope(env);
        },
        (info) => {
          clearTimeout(timer);
          if (this.conn !== t) return;
          if (!welcomed) {
            reject(Object.assign(new TickwireError(ErrorCode.UNSPECIFIED, `connect ${t.url.split("?")[0]}: closed ${info.code} ${info.reason}`), { close: info }));
            return;
          }
          if (this.probing && t.kind === "fallback") {
            this.heldClose = info; // the probe decides: switch to it, or report this close
            return;
          }
          this.lost(info);
        },
      );
    });
  }

  /** scheduleUpgrade plans the next background WebSocket attempt while the session runs on the fallback. */
  private scheduleUpgrade(): void {
    const o = this.upgradeOpts;
    if (o === undefined || (this.opts.transport ?? "auto") !== "auto" || this.upgradeTimer !== undefined || this.userClosed) return;
    const base = Math.min(o.maxDelayMs, o.initialDelayMs * 2 ** this.upgradeAttempt);
    const delayMs = Math.round(base * (0.8 + 0.4 * Math.random()));
    this.upgradeTimer = setTimeout(() => {
      this.upgradeTimer = undefined;
      void this.probe();
    }, delayMs);
  }

  private stopUpgrade(): void {
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
  private async probe(): Promise<void> {
    const old = this.conn;
    if (this.status !== "open" || old?.kind !== "fallback" || this.userClosed || this.probing) return;
    this.probing = true;
    const token = await this.currentToken();
    const ws = this.openWebSocket(token, this.opts.webSocketOpenTimeoutMs ?? 3000);
    let env: Envelope | undefined;
    if (await ws.open) {
      env = await new Promise<Envelope | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), this.opts.connectTimeoutMs ?? 10_000);
        ws.listen(
          (data) => {
            const e = this.decode(data);
            if (e?.msg.case === "welcome") {
              clearTimeout(timer);
              ws.listen(undefined, undefined); // later messages wait for dialOn's handlers
              resolve(e);
            }
          },
          () => {
            clearTimeout(timer);
            resolve(undefined);
          },
        );
      });
    }
    this.probing = false;
    const held = this.heldClose;
    this.heldClose = undefined;
    if (env === undefined || env.msg.case !== "welcome" || this.status !== "open" || this.conn !== old || this.userClosed) {
      if (ws.isActive()) ws.close(1000, "upgrade probe");
      if (held !== undefined && this.conn === old) {
        this.lost(held);
        return;
      }
      this.upgradeAttempt++;
      if (this.conn === old && this.status === "open") this.scheduleUpgrade();
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
  private decode(data: Uint8Array): Envelope | undefined {
    try {
      return fromBinary(EnvelopeSchema, data, { readUnknownFields: false });
    } catch (e) {
      this.emit("error", new TickwireError(ErrorCode.UNSPECIFIED, `undecodable frame: ${String(e)}`));
      return undefined;
    }
  }

  /** dispatch handles one envelope from the server. */
  private dispatch(env: Envelope): void {
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
        } else if (p?.join !== undefined) {
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
  private track(env: EnvelopeInit, timeoutMs: number | undefined, join?: Pending["join"]): Promise<Envelope> {
    const ref = this.nextRef;
    this.nextRef = this.nextRef >= 0xffffffff ? 1 : this.nextRef + 1;
    return new Promise<Envelope>((resolve, reject) => {
      const msg = create(EnvelopeSchema, env);
      msg.ref = ref;
      if (!this.send(msg)) {
        reject(new TickwireError(ErrorCode.UNSPECIFIED, `not connected (${this.status})`));
        return;
      }
      const ms = timeoutMs ?? this.opts.requestTimeoutMs ?? 10_000;
      const timer = setTimeout(() => {
        this.pending.delete(ref);
        reject(new TickwireError(ErrorCode.UNSPECIFIED, `request ${msg.msg.case} timed out after ${ms} ms`));
      }, ms);
      this.pending.set(ref, { resolve, reject, timer, join });
    });
  }

  private startPing(): void {
    this.stopPing();
    const ping = () => {
      this.ping().catch(() => {}); // a lost connection is reported by close
    };
    ping();
    const every = this.opts.pingIntervalMs ?? 2000;
    if (every > 0) {
      this.pingTimer = setInterval(ping, every);
    }
  }

  private stopPing(): void {
    if (this.pingTimer !== undefined) {
      clearInterval(this.pingTimer);
      this.pingTimer = undefined;
    }
  }

  /** failPending rejects every request waiting for a reply. */
  private failPending(info: CloseInfo): void {
    for (const [ref, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new TickwireError(ErrorCode.UNSPECIFIED, `connection closed: ${info.code} ${info.reason}`));
      this.pending.delete(ref);
    }
  }

  /** lost handles the close of a welcomed connection. */
  private lost(info: CloseInfo): void {
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
  private async reconnect(info: CloseInfo, o: ReconnectOptions): Promise<void> {
    for (let attempt = 1; attempt <= o.maxAttempts; attempt++) {
      const base = Math.min(o.maxDelayMs, o.initialDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.round(base * (0.8 + 0.4 * Math.random())); // jitter: do not reconnect in lockstep
      this.emit("disconnect", { ...info, attempt, delayMs });
      await new Promise((r) => setTimeout(r, delayMs));
      if (this.userClosed) {
        this.finish({ code: 1000, reason: "client closed", wasClean: true });
        return;
      }
      let welcome: Welcome;
      try {
        welcome = await this.dial();
      } catch (e) {
        info = (e as { close?: CloseInfo }).close ?? { code: 1006, reason: String(e), wasClean: false };
        if (this.userClosed || !shouldReconnect(info.code)) break;
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
  private async rejoin(room: Room<DescMessage, DescMessage>): Promise<void> {
    try {
      const req = this.opts.rejoin !== undefined ? await this.opts.rejoin(room) : { roomId: room.id };
      await this.track({ msg: { case: "joinRoom", value: req } }, undefined);
    } catch (e) {
      if (e instanceof TickwireError && e.code !== ErrorCode.UNSPECIFIED) {
        this.rooms.delete(room.id);
        room._left(create(LeftSchema, { roomId: room.id, code: e.code, reason: `rejoin refused: ${e.message}` }));
      }
      // A lost connection: the next reconnect tries again.
    }
  }

  /** finish closes the client for good. */
  private finish(info: CloseInfo): void {
    if (this.closeInfo !== undefined) return;
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
function truncate(s: string, n: number): string {
  const enc = new TextEncoder();
  const chars = Array.from(s).slice(0, n);
  while (enc.encode(chars.join("")).length > n) {
    chars.pop();
  }
  return chars.join("");
}
