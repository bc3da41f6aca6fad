import { ErrorCode } from "./gen/tickwire/v1/tickwire_pb.js";
/** shouldReconnect reports whether a close with code (not asked for by this client) is worth reconnecting after. */
export declare function shouldReconnect(code: number): boolean;
/** errorCodeName returns an ErrorCode's short name, like "room_full" (Go's protocol.CodeName). */
export declare function errorCodeName(code: ErrorCode): string;
/** TickwireError is an Error from the server (tickwire.v1.Error) or a failed request. */
export declare class TickwireError extends Error {
    /** The wire error code; UNSPECIFIED for local failures (timeouts, lost connections). */
    readonly code: ErrorCode;
    /** For ROOM_ELSEWHERE (cluster mode): the public URL of the node running the room; connect there and join roomId. */
    readonly url: string;
    /** The room the error is about (ROOM_ELSEWHERE: the room to join on url's node). */
    readonly roomId: string;
    name: string;
    constructor(
    /** The wire error code; UNSPECIFIED for local failures (timeouts, lost connections). */
    code: ErrorCode, message: string, 
    /** For ROOM_ELSEWHERE (cluster mode): the public URL of the node running the room; connect there and join roomId. */
    url?: string, 
    /** The room the error is about (ROOM_ELSEWHERE: the room to join on url's node). */
    roomId?: string);
    /** codeName is the code's short name, like "room_full". */
    get codeName(): string;
    /**
     * elsewhere, for a ROOM_ELSEWHERE error (cluster mode), returns the same
     * page on the room's node with `?room=ID`, where the player holds a place:
     * `location.assign(e.elsewhere(location))`. Otherwise undefined.
     */
    elsewhere(page: {
        pathname: string;
    }): string | undefined;
}
