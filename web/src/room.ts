// Room: one seat in a room, with its replica and the player's inputs.
import { create, isMessage, toBinary, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { Joined, Left, StateFrame } from "./gen/tickwire/v1/tickwire_pb.js";
import { Emitter } from "./events.js";
import { Replica } from "./replica.js";
import { LatencyStats } from "./stats.js";

/** RoomEvents are the events a Room emits. */
export interface RoomEvents {
  /** A StateFrame was applied: read room.state, room.tick, room.lastInputSeq. */
  state: StateFrame;
  /** An input was acknowledged: ms from sending seq to the first frame that reflects it. */
  latency: { seq: number; ms: number };
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
  topic: { topic: string; replica: Replica<DescMessage> | undefined; frame: StateFrame };
}

/** The face of the Client that a Room uses. */
export interface RoomLink {
  sendInput(roomId: string, seq: number, payload: Uint8Array): boolean;
  leave(roomId: string): Promise<void>;
  resync(reason: string): void;
}

/** The most inputs awaiting acknowledgement that a Room remembers send times for. */
const maxTracked = 1024;

/**
 * Room is this client's seat in one room: its replica of the state, the
 * inputs it sends (numbered 1, 2, 3, … per seat) and the input-to-state
 * latency it measures. Get one from Client.join.
 */
export class Room<S extends DescMessage, I extends DescMessage = DescMessage> extends Emitter<RoomEvents> {
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
  readonly topics = new Map<string, Replica<S>>();
  /** Input-to-state latency: from sending input seq N to the first frame whose last_input_seq ≥ N. */
  readonly inputLatency = new LatencyStats();
  /** Whether the seat is gone. */
  closed = false;
  private seq = 0;
  private acked = 0;
  private sentAt: { seq: number; t: number }[] = [];

  constructor(
    private readonly link: RoomLink,
    joined: Joined,
    readonly stateSchema: S,
    readonly inputSchema: I | undefined,
  ) {
    super();
    this.joined = joined;
    this.replica = new Replica(stateSchema, joined.roomId);
  }

  /** The room's id. */
  get id(): string {
    return this.joined.roomId;
  }
  /** The room's state (replaced by each snapshot: read it anew every frame). */
  get state(): MessageShape<S> {
    return this.replica.state;
  }
  /** The tick of the last applied frame. */
  get tick(): number {
    return this.replica.tick;
  }
  /** The highest input seq the state reflects. */
  get lastInputSeq(): number {
    return this.acked;
  }
  /** The last seq sent (0 before the first input of this seat). */
  get lastSentSeq(): number {
    return this.seq;
  }

  /**
   * sendInput encodes input with the room's input schema and sends it with
   * the next sequence number, which it returns; 0 means it was not sent
   * (no connection, or the room is closed).
   */
  sendInput(input: MessageShape<I> | MessageInitShape<I>): number {
    if (this.inputSchema === undefined) {
      throw new Error("tickwire: Room.sendInput needs the input schema passed to Client.join");
    }
    if (this.closed) {
      return 0;
    }
    const msg = isMessage(input, this.inputSchema) ? input : create(this.inputSchema, input as MessageInitShape<I>);
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
  leave(): Promise<void> {
    return this.link.leave(this.id);
  }

  /** @internal _frame applies one StateFrame received at now (performance.now()). */
  _frame(frame: StateFrame, now: number): void {
    if (this.closed) {
      return;
    }
    let topicChanged: Replica<S> | undefined | null = null; // null: no topic frame
    try {
      if (frame.topic === "") {
        this.replica.apply(frame);
      } else if (frame.unsubscribed) {
        this.topics.delete(frame.topic);
        topicChanged = undefined;
      } else {
        let r = this.topics.get(frame.topic);
        if (r === undefined) {
          r = new Replica(this.stateSchema, this.id);
          this.topics.set(frame.topic, r);
        }
        r.apply(frame);
        topicChanged = r;
      }
    } catch (e) {
      this.emit("error", e as Error);
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
  _rejoined(joined: Joined): void {
    this.joined = joined;
    this.replica.reset();
    this.topics.clear();
    this.seq = 0;
    this.acked = 0;
    this.sentAt = [];
    this.emit("rejoined", joined);
  }

  /** @internal _left ends the room. */
  _left(left: Left): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.sentAt = [];
    this.emit("left", left);
  }
}
