import { type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { Joined, Left, StateFrame } from "./gen/tickwire/v1/tickwire_pb.js";
import { Emitter } from "./events.js";
import { Replica } from "./replica.js";
import { LatencyStats } from "./stats.js";
/** RoomEvents are the events a Room emits. */
export interface RoomEvents {
    /** A StateFrame was applied: read room.state, room.tick, room.lastInputSeq. */
    state: StateFrame;
    /** An input was acknowledged: ms from sending seq to the first frame that reflects it. */
    latency: {
        seq: number;
        ms: number;
    };
    /** The seat was rejoined after a reconnect: state restarts from the next snapshot and input seqs restart at 1. */
    rejoined: Joined;
    /** The seat is gone (left, kicked, room ended, rejoin refused, client closed). The room is dead. */
    left: Left;
    /** A frame could not be applied (the client reconnects to get a fresh snapshot). */
    error: Error;
    /**
     * A topic's replica changed (games with topic-based interest, tick.Topics):
     * replica is undefined when the topic was unsubscribed.
     */
    topic: {
        topic: string;
        replica: Replica<DescMessage> | undefined;
        frame: StateFrame;
    };
}
/** The face of the Client that a Room uses. */
export interface RoomLink {
    sendInput(roomId: string, seq: number, payload: Uint8Array): boolean;
    leave(roomId: string): Promise<void>;
    resync(reason: string): void;
}
/**
 * Room is this client's seat in one room: its replica of the state, the
 * inputs it sends (numbered 1, 2, 3, … per seat) and the input-to-state
 * latency it measures. Get one from Client.join.
 */
export declare class Room<S extends DescMessage, I extends DescMessage = DescMessage> extends Emitter<RoomEvents> {
    private readonly link;
    readonly stateSchema: S;
    readonly inputSchema: I | undefined;
    /** The Joined reply (room id, game, tick rate, state and input type names). */
    joined: Joined;
    /** The replica of the room's state. */
    readonly replica: Replica<S>;
    /**
     * For games with topic-based interest (tick.Topics): one replica per topic
     * this player receives (chunks of a map, an overview, its own rack…),
     * created on the topic's snapshot and dropped when it is unsubscribed. The
     * main replica then stays empty.
     */
    readonly topics: Map<string, Replica<S>>;
    /** Input-to-state latency: from sending input seq N to the first frame whose last_input_seq ≥ N. */
    readonly inputLatency: LatencyStats;
    /** Whether the seat is gone. */
    closed: boolean;
    private seq;
    private acked;
    private sentAt;
    constructor(link: RoomLink, joined: Joined, stateSchema: S, inputSchema: I | undefined);
    /** The room's id. */
    get id(): string;
    /** The room's state (replaced by each snapshot: read it anew every frame). */
    get state(): MessageShape<S>;
    /** The tick of the last applied frame. */
    get tick(): number;
    /** The highest input seq the state reflects. */
    get lastInputSeq(): number;
    /** The last seq sent (0 before the first input of this seat). */
    get lastSentSeq(): number;
    /**
     * sendInput encodes input with the room's input schema and sends it with
     * the next sequence number, which it returns; 0 means it was not sent
     * (no connection, or the room is closed).
     */
    sendInput(input: MessageShape<I> | MessageInitShape<I>): number;
    /** leave gives up the seat; the room emits left. */
    leave(): Promise<void>;
}
