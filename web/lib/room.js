// Room: one seat in a room, with its replica and the player's inputs.
import { create, isMessage, toBinary } from "@bufbuild/protobuf";
import { Emitter } from "./events.js";
import { Replica } from "./replica.js";
import { LatencyStats } from "./stats.js";
/** The most inputs awaiting acknowledgement that a Room remembers send times for. */
const maxTracked = 1024;
/**
 * Room is this client's seat in one room: its replica of the state, the
 * inputs it sends (numbered 1, 2, 3, … per seat) and the input-to-state
 * latency it measures. Get one from Client.join.
 */
export class Room extends Emitter {
    constructor(link, joined, stateSchema, inputSchema) {
        super();
        this.link = link;
        this.stateSchema = stateSchema;
        this.inputSchema = inputSchema;
        /**
         * For games with topic-based interest (tick.Topics): one replica per topic
         * this player receives (chunks of a map, an overview, its own rack…),
         * created on the topic's snapshot and dropped when it is unsubscribed. The
         * main replica then stays empty.
         */
        this.topics = new Map();
        /** Input-to-state latency: from sending input seq N to the first frame whose last_input_seq ≥ N. */
        this.inputLatency = new LatencyStats();
        /** Whether the seat is gone. */
        this.closed = false;
        this.seq = 0;
        this.acked = 0;
        this.sentAt = [];
        this.joined = joined;
        this.replica = new Replica(stateSchema, joined.roomId);
    }
    /** The room's id. */
    get id() {
        return this.joined.roomId;
    }
    /** The room's state (replaced by each snapshot: read it anew every frame). */
    get state() {
        return this.replica.state;
    }
    /** The tick of the last applied frame. */
    get tick() {
        return this.replica.tick;
    }
    /** The highest input seq the state reflects. */
    get lastInputSeq() {
        return this.acked;
    }
    /** The last seq sent (0 before the first input of this seat). */
    get lastSentSeq() {
        return this.seq;
    }
    /**
     * sendInput encodes input with the room's input schema and sends it with
     * the next sequence number, which it returns; 0 means it was not sent
     * (no connection, or the room is closed).
     */
    sendInput(input) {
        if (this.inputSchema === undefined) {
            throw new Error("tickwire: Room.sendInput needs the input schema passed to Client.join");
        }
        if (this.closed) {
            return 0;
        }
        const msg = isMessage(input, this.inputSchema) ? input : create(this.inputSchema, input);
        const seq = this.seq + 1;
        if (!this.link.sendInput(this.id, seq, toBinary(this.inputSchema, msg))) {
            return 0;
        }
        this.seq = seq;
        this.sentAt.push({ seq, t: performance.now() });
        if (this.sentAt.length > maxTracked) {
            this.sentAt.shift();
        }
        return seq;
    }
    /** leave gives up the seat; the room emits left. */
    leave() {
        return this.link.leave(this.id);
    }
    /** @internal _frame applies one StateFrame received at now (performance.now()). */
    _frame(frame, now) {
        if (this.closed) {
            return;
        }
        let topicChanged = null; // null: no topic frame
        try {
            if (frame.topic === "") {
                this.replica.apply(frame);
            }
            else if (frame.unsubscribed) {
                this.topics.delete(frame.topic);
                topicChanged = undefined;
            }
            else {
                let r = this.topics.get(frame.topic);
                if (r === undefined) {
                    r = new Replica(this.stateSchema, this.id);
                    this.topics.set(frame.topic, r);
                }
                r.apply(frame);
                topicChanged = r;
            }
        }
        catch (e) {
            this.emit("error", e);
            this.link.resync(`room ${this.id}: ${String(e)}`);
            return;
        }
        const acked = Number(frame.lastInputSeq);
        this.acked = acked;
        let n = 0;
        while (n < this.sentAt.length && this.sentAt[n].seq <= acked) {
            const { seq, t } = this.sentAt[n++];
            this.inputLatency.add(now - t);
            this.emit("latency", { seq, ms: now - t });
        }
        if (n > 0) {
            this.sentAt.splice(0, n);
        }
        if (topicChanged !== null) {
            this.emit("topic", { topic: frame.topic, replica: topicChanged, frame });
        }
        this.emit("state", frame);
    }
    /** @internal _rejoined restarts the seat after a reconnect: the server sends a fresh snapshot and counts seqs from 0. */
    _rejoined(joined) {
        this.joined = joined;
        this.replica.reset();
        this.topics.clear();
        this.seq = 0;
        this.acked = 0;
        this.sentAt = [];
        this.emit("rejoined", joined);
    }
    /** @internal _left ends the room. */
    _left(left) {
        if (this.closed) {
            return;
        }
        this.closed = true;
        this.sentAt = [];
        this.emit("left", left);
    }
}
