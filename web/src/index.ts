// Tickwire's browser SDK: one ES module (dist/tickwire.js, served at
// /sdk/tickwire.js) with the wire protocol's generated messages, a client
// for /ws, the delta codec, a room replica, prediction and interpolation
// helpers, and the lobby's HTTP API.

export { connect, Client, SUBPROTOCOL } from "./client.js";
export type {
  ClientEvents,
  CloseInfo,
  ConnectOptions,
  EnvelopeInit,
  JoinRoomInit,
  ReconnectOptions,
  TransportKind,
  TransportMode,
  UpgradeOptions,
} from "./client.js";
export { Channel, Channels, channels } from "./channels.js";
export type { ChannelEvents, ChannelMessageEvent, PresenceEvent, SubscribeOptions } from "./channels.js";
export { Room } from "./room.js";
export type { RoomEvents } from "./room.js";
export { Replica, NoSnapshotError } from "./replica.js";
export { applyDelta, DeltaError } from "./delta.js";
export { Predictor } from "./predict.js";
export type { PredictorOptions } from "./predict.js";
export { Interpolator, lerpNumber, lerpRecord } from "./interpolate.js";
export type { InterpolatorOptions } from "./interpolate.js";
export { LatencyStats } from "./stats.js";
export { CloseCode, closeCodeNames, errorCodeNames } from "./codes.js";
export { TickwireError, errorCodeName, shouldReconnect } from "./errors.js";
export { Emitter } from "./events.js";
export type { Unsubscribe } from "./events.js";
export { Lobby, LobbyError } from "./lobby.js";
export type {
  LobbyCreated,
  LobbyGame,
  LobbyJoin,
  LobbyOptions,
  LobbyRoom,
  LobbySeat,
  LobbyTicket,
  LobbyTicketRequest,
} from "./lobby.js";

// Generated messages: the wire protocol and the example games' states and inputs.
export * as v1 from "./gen/tickwire/v1/tickwire_pb.js";
export * as arena from "./gen/tickwire/arena/v1/arena_pb.js";
export * as shooter from "./gen/tickwire/shooter/v1/shooter_pb.js";
export * as crossword from "./gen/tickwire/crossword/v1/crossword_pb.js";

// The protobuf-es runtime, so that a game's own generated code (protoc-gen-es
// imports "@bufbuild/protobuf" and "@bufbuild/protobuf/codegenv2") can be
// bundled against this module rather than a second copy: map both import
// paths to /sdk/tickwire.js (web/README.md shows how).
export { create, fromBinary, toBinary, clone, equals, isMessage, protoInt64 } from "@bufbuild/protobuf";
export { fileDesc, messageDesc, enumDesc } from "@bufbuild/protobuf/codegenv2";
