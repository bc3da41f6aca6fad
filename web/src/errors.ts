// Errors: TickwireError, the names of error codes, and which closes are
// worth reconnecting after. The tables themselves are generated (codes.ts).
import { ErrorCode } from "./gen/tickwire/v1/tickwire_pb.js";
import { CloseCode, errorCodeNames } from "./codes.js";

/**
 * Closes after which reconnecting cannot help: the server refused this
 * client on purpose (protocol, policy, version, another tab took over, the
 * game failed, flooding). Every other unexpected close is retried.
 */
const fatalCloses = new Set<number>([
  CloseCode.Normal,
  CloseCode.ProtocolError,
  CloseCode.UnsupportedData,
  CloseCode.PolicyViolation,
  CloseCode.MessageTooBig,
  CloseCode.UnsupportedVersion,
  CloseCode.SessionReplaced,
  CloseCode.RoomFailed,
  CloseCode.InputFlood,
]);

/** shouldReconnect reports whether a close with code (not asked for by this client) is worth reconnecting after. */
export function shouldReconnect(code: number): boolean {
  return !fatalCloses.has(code);
}

/** errorCodeName returns an ErrorCode's short name, like "room_full" (Go's protocol.CodeName). */
export function errorCodeName(code: ErrorCode): string {
  return errorCodeNames[code] ?? `code_${code}`;
}

/** TickwireError is an Error from the server (tickwire.v1.Error) or a failed request. */
export class TickwireError extends Error {
  override name = "TickwireError";
  constructor(
    /** The wire error code; UNSPECIFIED for local failures (timeouts, lost connections). */
    readonly code: ErrorCode,
    message: string,
    /** For ROOM_ELSEWHERE (cluster mode): the public URL of the node running the room; connect there and join roomId. */
    readonly url = "",
    /** The room the error is about (ROOM_ELSEWHERE: the room to join on url's node). */
    readonly roomId = "",
  ) {
    super(code === ErrorCode.UNSPECIFIED ? message : `${errorCodeName(code)}: ${message}`);
  }

  /** codeName is the code's short name, like "room_full". */
  get codeName(): string {
    return errorCodeName(this.code);
  }

  /**
   * elsewhere, for a ROOM_ELSEWHERE error (cluster mode), returns the same
   * page on the room's node with `?room=ID`, where the player holds a place:
   * `location.assign(e.elsewhere(location))`. Otherwise undefined.
   */
  elsewhere(page: { pathname: string }): string | undefined {
    if (this.code !== ErrorCode.ROOM_ELSEWHERE || this.url === "") {
      return undefined;
    }
    const there = new URL(page.pathname, this.url);
    there.searchParams.set("room", this.roomId);
    return there.href;
  }
}
