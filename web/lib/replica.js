// Replica: one room's state rebuilt from the server's StateFrames.
import { create, fromBinary } from "@bufbuild/protobuf";
import { applyDelta } from "./delta.js";
/** NoSnapshotError reports a delta that arrived before any snapshot. */
export class NoSnapshotError extends Error {
    constructor() {
        super(...arguments);
        this.name = "NoSnapshotError";
    }
}
/**
 * Replica reproduces one room's state from the StateFrames the server sends:
 * a snapshot replaces the state, a delta patches it in place, an empty frame
 * only moves the tick and the last input seq. After every apply, state
 * equals the server's state (or this player's view of it) at tick.
 */
export class Replica {
    constructor(
    /** The state's message schema (e.g. arena.StateSchema). */
    schema, 
    /** The room this replica follows; frames of other rooms are ignored. */
    roomId) {
        this.schema = schema;
        this.roomId = roomId;
        /** The tick of the last applied frame. */
        this.tick = 0;
        /** The highest input seq of this player that state reflects. */
        this.lastInputSeq = 0;
        /** Server wall-clock time of the last applied frame's tick, in Unix milliseconds. */
        this.serverTimeMs = 0;
        /** Frames applied, by kind. */
        this.snapshots = 0;
        this.deltas = 0;
        this.ready = false;
        this.state = create(schema);
    }
    /** isReady reports whether a snapshot has been applied. */
    get isReady() {
        return this.ready;
    }
    /**
     * apply applies one frame and reports whether it was for this room. It
     * throws NoSnapshotError for a delta before the first snapshot and
     * DeltaError for a delta that does not fit; the state is then unchanged.
     */
    apply(frame) {
        if (frame.roomId !== this.roomId) {
            return false;
        }
        const body = frame.body;
        switch (body.case) {
            case "snapshot":
                this.state = fromBinary(this.schema, body.value);
                this.ready = true;
                this.snapshots++;
                break;
            case "delta":
                if (!this.ready) {
                    if (body.value.patch.length === 0 && body.value.clears.length === 0) {
                        break; // only the seq: a topic game's frame outside any topic
                    }
                    throw new NoSnapshotError(`room ${this.roomId} tick ${frame.tick}: delta before the first snapshot`);
                }
                applyDelta(this.schema, this.state, body.value);
                this.deltas++;
                break;
            case undefined:
                // An empty frame: only the tick and the last input seq moved.
                break;
        }
        this.tick = Number(frame.tick);
        this.lastInputSeq = Number(frame.lastInputSeq);
        this.serverTimeMs = Number(frame.serverTimeUnixNano) / 1e6;
        return true;
    }
    /** reset forgets the state until the next snapshot (after a reconnect). */
    reset() {
        this.state = create(this.schema);
        this.ready = false;
        this.tick = 0;
        this.lastInputSeq = 0;
    }
}
