import { type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import type { StateFrame } from "./gen/tickwire/v1/tickwire_pb.js";
/** NoSnapshotError reports a delta that arrived before any snapshot. */
export declare class NoSnapshotError extends Error {
    name: string;
}
/**
 * Replica reproduces one room's state from the StateFrames the server sends:
 * a snapshot replaces the state, a delta patches it in place, an empty frame
 * only moves the tick and the last input seq. After every apply, state
 * equals the server's state (or this player's view of it) at tick.
 */
export declare class Replica<Desc extends DescMessage> {
    /** The state's message schema (e.g. arena.StateSchema). */
    readonly schema: Desc;
    /** The room this replica follows; frames of other rooms are ignored. */
    readonly roomId: string;
    /** The current state. A snapshot replaces the object, so read it anew after each frame; do not modify it. */
    state: MessageShape<Desc>;
    /** The tick of the last applied frame. */
    tick: number;
    /** The highest input seq of this player that state reflects. */
    lastInputSeq: number;
    /** Server wall-clock time of the last applied frame's tick, in Unix milliseconds. */
    serverTimeMs: number;
    /** Frames applied, by kind. */
    snapshots: number;
    deltas: number;
    private ready;
    constructor(
    /** The state's message schema (e.g. arena.StateSchema). */
    schema: Desc, 
    /** The room this replica follows; frames of other rooms are ignored. */
    roomId: string);
    /** isReady reports whether a snapshot has been applied. */
    get isReady(): boolean;
    /**
     * apply applies one frame and reports whether it was for this room. It
     * throws NoSnapshotError for a delta before the first snapshot and
     * DeltaError for a delta that does not fit; the state is then unchanged.
     */
    apply(frame: StateFrame): boolean;
    /** reset forgets the state until the next snapshot (after a reconnect). */
    reset(): void;
}
