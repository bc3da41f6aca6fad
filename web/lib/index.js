// Tickwire's browser SDK, the entry point of the npm package @tickwire/web:
// a client for /ws, the wire protocol's generated messages (v1), the delta
// codec, a room replica, prediction and interpolation helpers, channels and
// the lobby's HTTP API. Every game-specific type is a parameter: a room
// takes the game's own protoc-gen-es schemas (Client.join). The Go server
// serves the same API bundled, at /sdk/tickwire.js (bundle.ts).
export { connect, Client, SUBPROTOCOL } from "./client.js";
export { Channel, Channels, channels } from "./channels.js";
export { Room } from "./room.js";
export { Replica, NoSnapshotError } from "./replica.js";
export { applyDelta, DeltaError } from "./delta.js";
export { Predictor } from "./predict.js";
export { Interpolator, lerpNumber, lerpRecord } from "./interpolate.js";
export { LatencyStats } from "./stats.js";
export { CloseCode, closeCodeNames, errorCodeNames } from "./codes.js";
export { TickwireError, errorCodeName, shouldReconnect } from "./errors.js";
export { Emitter } from "./events.js";
export { Lobby, LobbyError } from "./lobby.js";
// Generated messages: the wire protocol (Envelope, ErrorCode, StateFrame…).
export * as v1 from "./gen/tickwire/v1/tickwire_pb.js";
// A few functions of the protobuf-es runtime (a peer dependency: the game's
// own generated schemas use the same copy), for pages that use no other.
export { create, fromBinary, toBinary, clone, equals, isMessage, protoInt64 } from "@bufbuild/protobuf";
