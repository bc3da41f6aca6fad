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
declare abstract class Base {
    failure: CloseInfo | undefined;
    readonly open: Promise<boolean>;
    protected resolveOpen: (ok: boolean) => void;
    protected onmessage: ((data: Uint8Array) => void) | undefined;
    protected onclose: ((info: CloseInfo) => void) | undefined;
    private early;
    private closedInfo;
    protected opened: boolean;
    protected ended: boolean;
    constructor(openTimeoutMs: number | undefined);
    /** abandon closes a transport that did not open in time. */
    protected abstract abandon(info: CloseInfo): void;
    listen(onmessage: ((data: Uint8Array) => void) | undefined, onclose: ((info: CloseInfo) => void) | undefined): void;
    protected markOpen(): void;
    protected deliver(data: Uint8Array): void;
    /** ended reports the close once (to the handler, or to the next listen). */
    protected end(info: CloseInfo): void;
}
/** WebSocketTransport is a WebSocket with subprotocol tickwire.v1. */
export declare class WebSocketTransport extends Base implements Transport {
    readonly url: string;
    readonly kind = "websocket";
    readonly socket: WebSocket;
    constructor(url: string, subprotocol: string, Ctor: typeof WebSocket, openTimeoutMs?: number);
    protected abandon(info: CloseInfo): void;
    isOpen(): boolean;
    isActive(): boolean;
    send(data: Uint8Array): void;
    close(code: number, reason: string): void;
}
/**
 * FallbackTransport is the HTTP fallback: a fetch of the event stream
 * (GET streamURL) for what the server sends, and POSTs to sendURL for what
 * the client sends, one at a time so that the server gets them in order
 * (messages queued meanwhile go together in the next POST).
 */
export declare class FallbackTransport extends Base implements Transport {
    /** The stream's URL: http(s)://host/ws/sse?subprotocol=tickwire.v1[&token=…]. */
    readonly url: string;
    private readonly sendURL;
    private readonly fetchFn;
    readonly kind = "fallback";
    readonly socket: undefined;
    private readonly abort;
    private session;
    private queue;
    private posting;
    private pongDue;
    private closing;
    private serverClose;
    constructor(
    /** The stream's URL: http(s)://host/ws/sse?subprotocol=tickwire.v1[&token=…]. */
    url: string, sendURL: string, fetchFn: typeof fetch, openTimeoutMs?: number);
    protected abandon(info: CloseInfo): void;
    isOpen(): boolean;
    isActive(): boolean;
    send(data: Uint8Array): void;
    /** close ends the session by ending the stream: the server sees its connection close. */
    close(code: number, reason: string): void;
    /** read fetches the stream and parses its events until it ends. */
    private read;
    private readStream;
    /** event handles one event of the stream; it reports whether it delivered a message. */
    private event;
    /** nextTask resolves in a later task (a MessageChannel message: no timer clamping). */
    private nextTask;
    private tasks;
    private taskWaiters;
    /** pong answers the server's keepalive ping with an empty POST (unless a POST is due anyway). */
    private pong;
    /** pump sends what is queued, one POST at a time. */
    private pump;
}
/** fallbackURLs derives the fallback's endpoints from the WebSocket URL of /ws: /ws/sse and /ws/send over http(s). */
export declare function fallbackURLs(wsURL: string, subprotocol: string, token: string | undefined): {
    stream: string;
    send: string;
};
export {};
