// Channels: pub/sub beside the rooms (README, "Channels"), on a Client's
// public API only (request, send, and its envelope and reconnect events),
// so it works over whichever transport the client uses.
import type { Envelope, PresenceMember } from "./gen/tickwire/v1/tickwire_pb.js";
import { ErrorCode } from "./gen/tickwire/v1/tickwire_pb.js";
import type { Client } from "./client.js";
import { TickwireError } from "./errors.js";
import { Emitter, type Unsubscribe } from "./events.js";

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
  ended: { code: ErrorCode; reason: string };
  /** The subscription was renewed after a reconnect (history the page already had is skipped). */
  resubscribed: { members: PresenceMember[] };
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

const decoder = new TextDecoder();

/**
 * Channel is one subscription. Its members (presence channels) are kept up
 * to date; messages arrive once each, in the server's order, history first.
 */
export class Channel extends Emitter<ChannelEvents> {
  /** Members by player id (presence channels). */
  readonly members = new Map<string, PresenceMember>();
  /** The channel's incarnation on the server (seqs compare within one epoch). */
  epoch = 0n;
  /** The seq of the latest message delivered to this page. */
  lastSeq = 0;
  /** Whether the subscription is live (false once unsubscribed or ended). */
  active = true;
  /** @internal a Subscribe is in flight: its reply (epoch ≠ 0) sets the state. */
  _subscribing = true;
  private historyUpTo = 0;

  /** Use Channels.subscribe. */
  constructor(
    /** The channel's name, e.g. "chat:lobby". */
    readonly name: string,
    private readonly owner: Channels,
    /** @internal */ readonly _opts: SubscribeOptions,
  ) {
    super();
  }

  /** publish sends data (a string is sent as UTF-8) to every subscriber; it resolves once the server accepted it. */
  async publish(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    await this.owner.client.request({ msg: { case: "publish", value: { channel: this.name, data: bytes } } });
  }

  /** unsubscribe ends the subscription; no message of the channel follows its reply. */
  async unsubscribe(): Promise<void> {
    if (!this.active) return;
    this.active = false;
    this.owner._forget(this);
    try {
      await this.owner.client.request({ msg: { case: "unsubscribe", value: { channel: this.name } } });
    } catch (e) {
      if (!(e instanceof TickwireError && e.code === ErrorCode.NOT_SUBSCRIBED)) throw e;
    }
  }

  /** @internal the Subscribe reply. */
  _subscribed(r: { members: PresenceMember[]; epoch: bigint; lastSeq: bigint; history: number }): void {
    this._subscribing = false;
    const sameEpoch = r.epoch === this.epoch;
    this.epoch = r.epoch;
    if (!sameEpoch) this.lastSeq = 0;
    this.historyUpTo = Number(r.lastSeq);
    this.members.clear();
    for (const m of r.members) this.members.set(m.playerId, m);
  }

  /** @internal the subscription ended. */
  _end(code: ErrorCode, reason: string): void {
    this.active = false;
    this.owner._forget(this);
    this.emit("ended", { code, reason });
  }

  /** @internal a renewed subscription is live. */
  _renewed(): void {
    this.emit("resubscribed", { members: [...this.members.values()] });
  }

  /** @internal */
  _envelope(env: Envelope): void {
    const m = env.msg;
    switch (m.case) {
      case "channelMessage": {
        const seq = Number(m.value.seq);
        if (seq <= this.lastSeq) return; // had it before a reconnect
        this.lastSeq = seq;
        this.emit("message", {
          channel: this.name,
          seq,
          from: m.value.from,
          data: m.value.data,
          get text() {
            return decoder.decode(this.data);
          },
          time: Number(m.value.serverTimeUnixNano / 1_000_000n),
          history: seq <= this.historyUpTo,
        });
        break;
      }
      case "presence": {
        const member = m.value.member;
        if (member === undefined) return;
        if (m.value.left) this.members.delete(member.playerId);
        else this.members.set(member.playerId, member);
        this.emit("presence", { member, left: m.value.left });
        break;
      }
      case "channelReply":
        if (m.value.ended) this._end(m.value.code, m.value.reason);
        break;
    }
  }
}

/**
 * Channels is a Client's pub/sub: subscribe to channels, publish, follow
 * presence. Get it with channels(client). After a reconnect it subscribes
 * again to every channel and skips the history the page already had.
 */
export class Channels {
  private readonly subs = new Map<string, Channel>();
  private readonly offs: Unsubscribe[];

  /** Use channels(client). */
  constructor(
    /** The client the channels ride on. */
    readonly client: Client,
  ) {
    this.offs = [
      client.on("envelope", (env) => this.route(env)),
      client.on("reconnect", () => {
        for (const ch of this.subs.values()) void this.renew(ch);
      }),
      client.on("close", (info) => {
        for (const ch of [...this.subs.values()]) {
          ch._end(ErrorCode.UNSPECIFIED, `connection closed: ${info.code} ${info.reason}`);
        }
      }),
    ];
  }

  /**
   * subscribe subscribes to a channel and resolves with it once the server
   * agreed; its history follows as message events (history: true). Give
   * opts.onMessage to be sure to see the history (handlers attached after
   * the promise resolves see it over WebSocket, but a transport may hand
   * over several envelopes in one task).
   */
  async subscribe(name: string, opts: SubscribeOptions = {}): Promise<Channel> {
    if (this.subs.has(name)) {
      throw new TickwireError(ErrorCode.BAD_REQUEST, `already subscribed to ${name}`);
    }
    const ch = new Channel(name, this, opts);
    if (opts.onMessage !== undefined) ch.on("message", opts.onMessage);
    if (opts.onPresence !== undefined) ch.on("presence", opts.onPresence);
    this.subs.set(name, ch); // before the request: its reply and history route here
    try {
      await this.client.request({ msg: { case: "subscribe", value: { channel: name, name: opts.name ?? "" } } });
    } catch (e) {
      this.subs.delete(name);
      ch.active = false;
      throw e;
    }
    return ch;
  }

  /** get returns the live subscription to name, if any. */
  get(name: string): Channel | undefined {
    return this.subs.get(name);
  }

  /** close stops following the client's events (the subscriptions end with the session). */
  close(): void {
    for (const off of this.offs) off();
  }

  /** @internal */
  _forget(ch: Channel): void {
    if (this.subs.get(ch.name) === ch) this.subs.delete(ch.name);
  }

  private route(env: Envelope): void {
    const m = env.msg;
    let name: string;
    switch (m.case) {
      case "channelMessage":
      case "presence":
        name = m.value.channel;
        break;
      case "channelReply": {
        name = m.value.channel;
        const ch = this.subs.get(name);
        // A Subscribe's reply (the only one with an epoch) sets the state
        // before its history arrives, whatever batches the transport uses.
        if (ch !== undefined && ch._subscribing && env.ref !== 0 && m.value.epoch !== 0n) {
          ch._subscribed(m.value);
          return;
        }
        break;
      }
      default:
        return;
    }
    this.subs.get(name)?._envelope(env);
  }

  private async renew(ch: Channel): Promise<void> {
    ch._subscribing = true;
    try {
      await this.client.request({ msg: { case: "subscribe", value: { channel: ch.name, name: ch._opts.name ?? "" } } });
      ch._renewed();
    } catch (e) {
      if (e instanceof TickwireError && e.code !== ErrorCode.UNSPECIFIED) {
        ch._end(e.code, `resubscribe refused: ${e.message}`);
      }
      // A lost connection: the next reconnect tries again.
    }
  }
}

const perClient = new WeakMap<Client, Channels>();

/** channels returns the Channels of client (one per client). */
export function channels(client: Client): Channels {
  let c = perClient.get(client);
  if (c === undefined) {
    c = new Channels(client);
    perClient.set(client, c);
  }
  return c;
}
