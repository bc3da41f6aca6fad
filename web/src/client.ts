// Client: one WebSocket session on /ws, with requests, rooms, RTT and reconnection.
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
import { shouldReconnect, TickwireError } from "./codes.js";
import { Emitter } from "./events.js";
import { Room, type RoomLink } from "./room.js";
import { LatencyStats } from "./stats.js";

/** SUBPROTOCOL is the WebSocket subprotocol of Tickwire's wire protocol. */
export const SUBPROTOCOL = "tickwire.v1";

/** EnvelopeInit is what send and request take: an Envelope or its init shape, e.g. `{ msg: { case: "ping", value: {} } }`. */
export type EnvelopeInit = MessageInitShape<typeof EnvelopeSchema>;

/** JoinRoomInit asks for a seat: `{ game }` (open join), `{ roomId }`, or `{ roomId, seat }` with a lobby seat. */
export type JoinRoomInit = { roomId?: string; seat?: string; game?: string; create?: boolean };

/** CloseInfo describes how a WebSocket closed. */
export interface CloseInfo {
  code: number;
  reason: string;
  wasClean: boolean;
}

/** ReconnectOptions shape the backoff after an unexpected close. */
export interface ReconnectOptions {
  /** Delay before the first attempt, ms. Default 250. */
  initialDelayMs: number;
  /** Longest delay between attempts, ms. Default 4000. */
  maxDelayMs: number;
  /** Attempts before giving up (then the client closes). Default 12 (about half a minute). */
  maxAttempts: number;
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
 * http://, https://) or relative to the page ("/ws").
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

  private ws: WebSocket | undefined;
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

  /** serverNow estimates the server's wall clock, Unix ms. */
  serverNow(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** send sends one envelope; it returns false (and sends nothing) while the connection is not open. */
  send(env: EnvelopeInit): boolean {
    const ws = this.ws;
    if (this.status !== "open" || ws === undefined || ws.readyState !== 1 /* OPEN */) {
      return false;
    }
    ws.send(toBinary(EnvelopeSchema, create(EnvelopeSchema, env)));
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
   * 3000–4999) and resolves when the socket has closed. No reconnect follows.
   */
  close(code = 1000, reason = "client closed"): Promise<CloseInfo> {
    this.userClosed = true;
    if (this.closeInfo !== undefined) {
      return Promise.resolve(this.closeInfo);
    }
    return new Promise((resolve) => {
      this.once("close", resolve);
      const ws = this.ws;
      if (ws !== undefined && ws.readyState <= 1 /* CONNECTING or OPEN */) {
        ws.close(code, reason);
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
    this.ws?.close(code, truncate(reason, 123));
  }

  /** @internal dial opens one connection and resolves with its Welcome. */
  async dial(): Promise<Welcome> {
    const token = this.opts.getToken !== undefined ? await this.opts.getToken() : this.token;
    const u = new URL(this.url);
    if (token) u.searchParams.set("token", token);
    const Ctor = this.opts.WebSocket ?? WebSocket;
    const ws = new Ctor(u.toString(), SUBPROTOCOL);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    return new Promise<Welcome>((resolve, reject) => {
      let welcomed = false;
      const timer = setTimeout(() => {
        if (!welcomed) ws.close(4000, "no welcome");
      }, this.opts.connectTimeoutMs ?? 10_000);
      ws.onmessage = (ev: MessageEvent) => {
        if (this.ws !== ws) return;
        const env = this.decode(ev.data);
        if (env === undefined) return;
        if (!welcomed && env.msg.case === "welcome") {
          welcomed = true;
          clearTimeout(timer);
          this.welcome = env.msg.value;
          this.status = "open";
          this.startPing();
          resolve(env.msg.value);
        }
        this.dispatch(env);
      };
      ws.onclose = (ev: CloseEvent) => {
        clearTimeout(timer);
        if (this.ws !== ws) return;
        const info = { code: ev.code, reason: ev.reason, wasClean: ev.wasClean };
        if (!welcomed) {
          reject(Object.assign(new TickwireError(ErrorCode.UNSPECIFIED, `connect ${this.url}: closed ${info.code} ${info.reason}`), { close: info }));
          return;
        }
        this.lost(info);
      };
    });
  }

  /** decode parses one frame; undecodable frames are reported and skipped. */
  private decode(data: unknown): Envelope | undefined {
    if (!(data instanceof ArrayBuffer)) {
      return undefined; // the server sends binary frames only
    }
    try {
      return fromBinary(EnvelopeSchema, new Uint8Array(data), { readUnknownFields: false });
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
        const err = new TickwireError(m.value.code, m.value.message);
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

  /** lost handles the close of a welcomed connection. */
  private lost(info: CloseInfo): void {
    this.stopPing();
    for (const [ref, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new TickwireError(ErrorCode.UNSPECIFIED, `connection closed: ${info.code} ${info.reason}`));
      this.pending.delete(ref);
    }
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
