import { type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { EnvelopeSchema, type Envelope, type Joined, type Left, type LobbyReply, type LobbyRequestSchema, type StateFrame, type Welcome } from "./gen/tickwire/v1/tickwire_pb.js";
import { TickwireError } from "./errors.js";
import { Emitter } from "./events.js";
import { Room } from "./room.js";
import { LatencyStats } from "./stats.js";
import { type CloseInfo, type TransportKind, type TransportMode } from "./transport.js";
export type { CloseInfo, TransportKind, TransportMode } from "./transport.js";
/** SUBPROTOCOL is the WebSocket subprotocol of Tickwire's wire protocol. */
export declare const SUBPROTOCOL = "tickwire.v1";
/** EnvelopeInit is what send and request take: an Envelope or its init shape, e.g. `{ msg: { case: "ping", value: {} } }`. */
export type EnvelopeInit = MessageInitShape<typeof EnvelopeSchema>;
/** JoinRoomInit asks for a seat: `{ game }` (open join), `{ roomId }`, or `{ roomId, seat }` with a lobby seat. */
export type JoinRoomInit = {
    roomId?: string;
    seat?: string;
    game?: string;
    create?: boolean;
};
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
    disconnect: CloseInfo & {
        attempt: number;
        delayMs: number;
    };
    /** A reconnect succeeded (rooms are being rejoined). */
    reconnect: Welcome;
    /** The client is closed for good: closed by the user, refused, or out of reconnect attempts. */
    close: CloseInfo;
    /** The session moved to another transport ("websocket" after an upgrade, "fallback" after a reconnect that had to fall back). */
    transport: TransportKind;
}
type Status = "open" | "reconnecting" | "closed";
/**
 * connect opens a session on a Tickwire server's /ws endpoint and resolves
 * once the server's Welcome arrives. url may be absolute (ws://, wss://,
 * http://, https://) or relative to the page ("/ws"). Where the WebSocket
 * does not open, the session runs over the HTTP fallback at url + "/sse"
 * and url + "/send" (ConnectOptions.transport).
 */
export declare function connect(url: string, opts?: ConnectOptions): Promise<Client>;
/**
 * Client is one session: it sends Envelopes, matches replies to requests
 * by ref, keeps the rooms it joined up to date, measures RTT with pings and
 * reconnects (rejoining its rooms) when the connection drops. Create one
 * with connect.
 */
export declare class Client extends Emitter<ClientEvents> {
    /** The ws:// or wss:// URL of /ws. */
    readonly url: string;
    private readonly opts;
    /** The latest Welcome: this session's id and player id. */
    welcome: Welcome | undefined;
    /** Whether the session is open, reconnecting or closed for good. */
    status: Status;
    /** Round-trip times of pings, ms. */
    readonly rtt: LatencyStats;
    /** Server clock minus local clock (Date.now()), ms, from the ping with the lowest RTT among the recent ones. */
    clockOffsetMs: number;
    private conn;
    /** In "auto": the WebSocket failed to open and the fallback worked, so reconnects use the fallback. */
    private wsBlocked;
    private upgradeTimer;
    private upgradeAttempt;
    private probing;
    /** A close of the fallback while a WebSocket probe runs: acted on if the probe fails. */
    private heldClose;
    private readonly upgradeOpts;
    private nextRef;
    private readonly pending;
    private readonly rooms;
    private pingTimer;
    private offsets;
    private userClosed;
    private closeInfo;
    private readonly reconnectOpts;
    private readonly link;
    /** Use connect. */
    constructor(
    /** The ws:// or wss:// URL of /ws. */
    url: string, opts: ConnectOptions);
    /**
     * The token this client (re)connects with: the one given to connect, or
     * the guest token of the first Welcome. It authenticates the lobby's HTTP
     * API too (`new Lobby({ token: client.token })`).
     */
    get token(): string | undefined;
    private guestToken;
    /** The player this session speaks for. */
    get playerId(): string;
    /** This connection's session id (changes on reconnect). */
    get sessionId(): string;
    /** The transport of the current connection: "websocket" or "fallback" (undefined before the first connect). */
    get transport(): TransportKind | undefined;
    /** The current connection's WebSocket, when the session runs on one. */
    private get ws();
    /** serverNow estimates the server's wall clock, Unix ms. */
    serverNow(): number;
    /** send sends one envelope; it returns false (and sends nothing) while the connection is not open. */
    send(env: EnvelopeInit): boolean;
    /**
     * request sends env with a fresh ref and resolves with the envelope that
     * answers it; it rejects with a TickwireError for a server Error, a lost
     * connection or a timeout.
     */
    request(env: EnvelopeInit, timeoutMs?: number): Promise<Envelope>;
    /** ping measures one round trip through the Envelope path, ms. */
    ping(): Promise<number>;
    /**
     * join takes a seat in a room and resolves with the Room once the server
     * confirms it (the first snapshot follows). schemas give the game's state
     * message (required) and input message (for Room.sendInput).
     */
    join<S extends DescMessage, I extends DescMessage = DescMessage>(req: JoinRoomInit, schemas: {
        state: S;
        input?: I;
    }): Promise<Room<S, I>>;
    /**
     * lobby asks the lobby over this WebSocket (the same operations as its
     * HTTP API, for this session's player), e.g.
     * `client.lobby({ op: { case: "join", value: { game: "arena", quick: true } } })`,
     * and resolves with the reply's fields; a refusal rejects with a TickwireError.
     */
    lobby(req: MessageInitShape<typeof LobbyRequestSchema>): Promise<LobbyReply>;
    /** room returns the joined room with id, if any. */
    room(id: string): Room<DescMessage, DescMessage> | undefined;
    /**
     * close ends the session for good with a clean close (code 1000 or
     * 3000–4999) and resolves when the connection has closed. No reconnect follows.
     */
    close(code?: number, reason?: string): Promise<CloseInfo>;
    /**
     * drop closes the current connection as if it had failed, so the client
     * reconnects and rejoins its rooms (each gets a fresh snapshot). Tests use
     * it to exercise reconnection; the client uses it to recover from a frame
     * it could not apply.
     */
    drop(code?: number, reason?: string): void;
    /** currentToken is the token of the next (re)connect. */
    private currentToken;
    private openWebSocket;
    private openFallback;
    /**
     * dialOn makes t the connection and resolves with its Welcome. first is
     * a message t already delivered (a probe's Welcome), handled before the rest.
     */
    private dialOn;
    /** scheduleUpgrade plans the next background WebSocket attempt while the session runs on the fallback. */
    private scheduleUpgrade;
    private stopUpgrade;
    /**
     * probe opens a WebSocket beside the fallback. Once its Welcome arrives
     * the session moves to it: the client adopts the new connection, ends the
     * fallback's, and rejoins its rooms (the reconnection path: same token, so
     * the same player, whose seats wait for him), emitting "reconnect" and
     * "transport". A probe that fails schedules the next, with backoff.
     */
    private probe;
    /** decode parses one message; undecodable ones are reported and skipped. */
    private decode;
    /** dispatch handles one envelope from the server. */
    private dispatch;
    /** track sends env with a fresh ref and waits for the reply. */
    private track;
    private startPing;
    private stopPing;
    /** failPending rejects every request waiting for a reply. */
    private failPending;
    /** lost handles the close of a welcomed connection. */
    private lost;
    /** reconnect dials with exponential backoff, then rejoins every room. */
    private reconnect;
    /** rejoin asks for room's seat again; a refusal ends the room. */
    private rejoin;
    /** finish closes the client for good. */
    private finish;
}
