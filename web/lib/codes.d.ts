/**
 * CloseCode names the WebSocket close codes a Tickwire server sends
 * (protocol.CloseCode in Go), and 1006, which browsers report for a
 * connection that dropped without a close frame.
 */
export declare const CloseCode: {
    /** 1000 normal; the server's close reason is "session ended". */
    readonly Normal: 1000;
    /** 1001 going away; the server's close reason is "server shutting down". */
    readonly GoingAway: 1001;
    /** 1002 protocol error; the server's close reason is "undecodable frame". */
    readonly ProtocolError: 1002;
    /** 1003 unsupported data; the server's close reason is "text frames are not accepted on /ws". */
    readonly UnsupportedData: 1003;
    /** 1006 abnormal: never sent by a server; the browser reports it when the connection dropped without a close frame. */
    readonly Abnormal: 1006;
    /** 1007 invalid payload; the server's close reason is "text message is not valid UTF-8". */
    readonly InvalidPayload: 1007;
    /** 1008 policy violation; the server's close reason is "policy violation". */
    readonly PolicyViolation: 1008;
    /** 1009 message too big; the server's close reason is "message too large". */
    readonly MessageTooBig: 1009;
    /** 1011 internal error; the server's close reason is "internal error". */
    readonly InternalError: 1011;
    /** 4001 slow consumer; the server's close reason is "slow consumer". */
    readonly SlowConsumer: 4001;
    /** 4002 idle timeout; the server's close reason is "keepalive timeout". */
    readonly IdleTimeout: 4002;
    /** 4003 unsupported version; the server's close reason is "unsupported protocol version". */
    readonly UnsupportedVersion: 4003;
    /** 4004 session replaced; the server's close reason is "session replaced by a newer connection". */
    readonly SessionReplaced: 4004;
    /** 4005 room failed; the server's close reason is "room ended: game failed". */
    readonly RoomFailed: 4005;
    /** 4008 input flood; the server's close reason is "input flood". */
    readonly InputFlood: 4008;
};
/** CloseCode is one of the codes of the CloseCode table. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
/** closeCodeNames maps each close code a server sends to its name, like "slow consumer". */
export declare const closeCodeNames: Readonly<Record<number, string>>;
/**
 * errorCodeNames maps each tickwire.v1.ErrorCode to its name, like
 * "room_full": the name the docs, the lobby's JSON errors and Go's
 * protocol.CodeName use.
 */
export declare const errorCodeNames: Readonly<Record<number, string>>;
