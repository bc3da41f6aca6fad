import { ErrorCode } from "./gen/tickwire/v1/tickwire_pb.js";
import { TickwireError } from "./errors.js";
import { Emitter } from "./events.js";
const decoder = new TextDecoder();
/**
 * Channel is one subscription. Its members (presence channels) are kept up
 * to date; messages arrive once each, in the server's order, history first.
 */
export class Channel extends Emitter {
    /** Use Channels.subscribe. */
    constructor(
    /** The channel's name, e.g. "chat:lobby". */
    name, owner, 
    /** @internal */ _opts) {
        super();
        this.name = name;
        this.owner = owner;
        this._opts = _opts;
        /** Members by player id (presence channels). */
        this.members = new Map();
        /** The channel's incarnation on the server (seqs compare within one epoch). */
        this.epoch = 0n;
        /** The seq of the latest message delivered to this page. */
        this.lastSeq = 0;
        /** Whether the subscription is live (false once unsubscribed or ended). */
        this.active = true;
        /** @internal a Subscribe is in flight: its reply (epoch ≠ 0) sets the state. */
        this._subscribing = true;
        this.historyUpTo = 0;
    }
    /** publish sends data (a string is sent as UTF-8) to every subscriber; it resolves once the server accepted it. */
    async publish(data) {
        const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
        await this.owner.client.request({ msg: { case: "publish", value: { channel: this.name, data: bytes } } });
    }
    /** unsubscribe ends the subscription; no message of the channel follows its reply. */
    async unsubscribe() {
        if (!this.active)
            return;
        this.active = false;
        this.owner._forget(this);
        try {
            await this.owner.client.request({ msg: { case: "unsubscribe", value: { channel: this.name } } });
        }
        catch (e) {
            if (!(e instanceof TickwireError && e.code === ErrorCode.NOT_SUBSCRIBED))
                throw e;
        }
    }
    /** @internal the Subscribe reply. */
    _subscribed(r) {
        this._subscribing = false;
        const sameEpoch = r.epoch === this.epoch;
        this.epoch = r.epoch;
        if (!sameEpoch)
            this.lastSeq = 0;
        this.historyUpTo = Number(r.lastSeq);
        this.members.clear();
        for (const m of r.members)
            this.members.set(m.playerId, m);
    }
    /** @internal the subscription ended. */
    _end(code, reason) {
        this.active = false;
        this.owner._forget(this);
        this.emit("ended", { code, reason });
    }
    /** @internal a renewed subscription is live. */
    _renewed() {
        this.emit("resubscribed", { members: [...this.members.values()] });
    }
    /** @internal */
    _envelope(env) {
        const m = env.msg;
        switch (m.case) {
            case "channelMessage": {
                const seq = Number(m.value.seq);
                if (seq <= this.lastSeq)
                    return; // had it before a reconnect
                this.lastSeq = seq;
                this.emit("message", {
                    channel: this.name,
                    seq,
                    from: m.value.from,
                    data: m.value.data,
                    get text() {
                        return decoder.decode(this.data);
                    },
                    time: Number(m.value.serverTimeUnixNano / 1000000n),
                    history: seq <= this.historyUpTo,
                });
                break;
            }
            case "presence": {
                const member = m.value.member;
                if (member === undefined)
                    return;
                if (m.value.left)
                    this.members.delete(member.playerId);
                else
                    this.members.set(member.playerId, member);
                this.emit("presence", { member, left: m.value.left });
                break;
            }
            case "channelReply":
                if (m.value.ended)
                    this._end(m.value.code, m.value.reason);
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
    /** Use channels(client). */
    constructor(
    /** The client the channels ride on. */
    client) {
        this.client = client;
        this.subs = new Map();
        this.offs = [
            client.on("envelope", (env) => this.route(env)),
            client.on("reconnect", () => {
                for (const ch of this.subs.values())
                    void this.renew(ch);
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
    async subscribe(name, opts = {}) {
        if (this.subs.has(name)) {
            throw new TickwireError(ErrorCode.BAD_REQUEST, `already subscribed to ${name}`);
        }
        const ch = new Channel(name, this, opts);
        if (opts.onMessage !== undefined)
            ch.on("message", opts.onMessage);
        if (opts.onPresence !== undefined)
            ch.on("presence", opts.onPresence);
        this.subs.set(name, ch); // before the request: its reply and history route here
        try {
            await this.client.request({ msg: { case: "subscribe", value: { channel: name, name: opts.name ?? "" } } });
        }
        catch (e) {
            this.subs.delete(name);
            ch.active = false;
            throw e;
        }
        return ch;
    }
    /** get returns the live subscription to name, if any. */
    get(name) {
        return this.subs.get(name);
    }
    /** close stops following the client's events (the subscriptions end with the session). */
    close() {
        for (const off of this.offs)
            off();
    }
    /** @internal */
    _forget(ch) {
        if (this.subs.get(ch.name) === ch)
            this.subs.delete(ch.name);
    }
    route(env) {
        const m = env.msg;
        let name;
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
    async renew(ch) {
        ch._subscribing = true;
        try {
            await this.client.request({ msg: { case: "subscribe", value: { channel: ch.name, name: ch._opts.name ?? "" } } });
            ch._renewed();
        }
        catch (e) {
            if (e instanceof TickwireError && e.code !== ErrorCode.UNSPECIFIED) {
                ch._end(e.code, `resubscribe refused: ${e.message}`);
            }
            // A lost connection: the next reconnect tries again.
        }
    }
}
const perClient = new WeakMap();
/** channels returns the Channels of client (one per client). */
export function channels(client) {
    let c = perClient.get(client);
    if (c === undefined) {
        c = new Channels(client);
        perClient.set(client, c);
    }
    return c;
}
