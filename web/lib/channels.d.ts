import type { PresenceMember } from "./gen/tickwire/v1/tickwire_pb.js";
import { ErrorCode } from "./gen/tickwire/v1/tickwire_pb.js";
import type { Client } from "./client.js";
import { Emitter } from "./events.js";
/** ChannelMessageEvent is one message of a channel. */
export interface ChannelMessageEvent {
    channel: string;
    /** Position in the channel on its server: 1, 2, 3, … */
    seq: number;
    /** The publishing player; "" for the server (the HTTP publish API). */
    from: string;
    data: Uint8Array;
    /** data as UTF-8 text. */
    text: string;
    /** When the server accepted it, Unix ms. */
    time: number;
    /** The message was published before this subscription (history for late joiners). */
    history: boolean;
}
/** PresenceEvent is a member joining (left false) or leaving a presence channel. */
export interface PresenceEvent {
    member: PresenceMember;
    left: boolean;
}
/** ChannelEvents are the events a Channel emits. */
export interface ChannelEvents {
    message: ChannelMessageEvent;
    presence: PresenceEvent;
    /** The server ended the subscription (e.g. the player left the room of a room chat), or the client closed. */
    ended: {
        code: ErrorCode;
        reason: string;
    };
    /** The subscription was renewed after a reconnect (history the page already had is skipped). */
    resubscribed: {
        members: PresenceMember[];
    };
}
/** SubscribeOptions shape a subscription. */
export interface SubscribeOptions {
    /** Display name shown to the channel's members (at most 32 characters). */
    name?: string;
    /** A message handler attached before the Subscribe goes out, so it sees the history too. */
    onMessage?: (m: ChannelMessageEvent) => void;
    /** A presence handler attached before the Subscribe goes out. */
    onPresence?: (p: PresenceEvent) => void;
}
/**
 * Channel is one subscription. Its members (presence channels) are kept up
 * to date; messages arrive once each, in the server's order, history first.
 */
export declare class Channel extends Emitter<ChannelEvents> {
    /** The channel's name, e.g. "chat:lobby". */
    readonly name: string;
    private readonly owner;
    /** Members by player id (presence channels). */
    readonly members: Map<string, PresenceMember>;
    /** The channel's incarnation on the server (seqs compare within one epoch). */
    epoch: bigint;
    /** The seq of the latest message delivered to this page. */
    lastSeq: number;
    /** Whether the subscription is live (false once unsubscribed or ended). */
    active: boolean;
    private historyUpTo;
    /** Use Channels.subscribe. */
    constructor(
    /** The channel's name, e.g. "chat:lobby". */
    name: string, owner: Channels, 
    /** @internal */ _opts: SubscribeOptions);
    /** publish sends data (a string is sent as UTF-8) to every subscriber; it resolves once the server accepted it. */
    publish(data: string | Uint8Array): Promise<void>;
    /** unsubscribe ends the subscription; no message of the channel follows its reply. */
    unsubscribe(): Promise<void>;
}
/**
 * Channels is a Client's pub/sub: subscribe to channels, publish, follow
 * presence. Get it with channels(client). After a reconnect it subscribes
 * again to every channel and skips the history the page already had.
 */
export declare class Channels {
    /** The client the channels ride on. */
    readonly client: Client;
    private readonly subs;
    private readonly offs;
    /** Use channels(client). */
    constructor(
    /** The client the channels ride on. */
    client: Client);
    /**
     * subscribe subscribes to a channel and resolves with it once the server
     * agreed; its history follows as message events (history: true). Give
     * opts.onMessage to be sure to see the history (handlers attached after
     * the promise resolves see it over WebSocket, but a transport may hand
     * over several envelopes in one task).
     */
    subscribe(name: string, opts?: SubscribeOptions): Promise<Channel>;
    /** get returns the live subscription to name, if any. */
    get(name: string): Channel | undefined;
    /** close stops following the client's events (the subscriptions end with the session). */
    close(): void;
    private route;
    private renew;
}
/** channels returns the Channels of client (one per client). */
export declare function channels(client: Client): Channels;
