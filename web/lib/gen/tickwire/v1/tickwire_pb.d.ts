import type { GenEnum, GenFile, GenMessage } from "@bufbuild/protobuf/codegenv2";
import type { Message } from "@bufbuild/protobuf";
/**
 * Describes the file tickwire/v1/tickwire.proto.
 */
export declare const file_tickwire_v1_tickwire: GenFile;
/**
 * Envelope is the only top-level message on the wire.
 *
 * @generated from message tickwire.v1.Envelope
 */
export type Envelope = Message<"tickwire.v1.Envelope"> & {
    /**
     * Client-chosen request id, echoed in the reply (or Error) to that request; 0 for none.
     *
     * @generated from field: uint32 ref = 1;
     */
    ref: number;
    /**
     * @generated from oneof tickwire.v1.Envelope.msg
     */
    msg: {
        /**
         * client → server
         *
         * @generated from field: tickwire.v1.Hello hello = 10;
         */
        value: Hello;
        case: "hello";
    } | {
        /**
         * @generated from field: tickwire.v1.JoinRoom join_room = 11;
         */
        value: JoinRoom;
        case: "joinRoom";
    } | {
        /**
         * @generated from field: tickwire.v1.LeaveRoom leave_room = 12;
         */
        value: LeaveRoom;
        case: "leaveRoom";
    } | {
        /**
         * @generated from field: tickwire.v1.Input input = 13;
         */
        value: Input;
        case: "input";
    } | {
        /**
         * @generated from field: tickwire.v1.Ping ping = 14;
         */
        value: Ping;
        case: "ping";
    } | {
        /**
         * @generated from field: tickwire.v1.LobbyRequest lobby = 15;
         */
        value: LobbyRequest;
        case: "lobby";
    } | {
        /**
         * @generated from field: tickwire.v1.Subscribe subscribe = 16;
         */
        value: Subscribe;
        case: "subscribe";
    } | {
        /**
         * @generated from field: tickwire.v1.Unsubscribe unsubscribe = 17;
         */
        value: Unsubscribe;
        case: "unsubscribe";
    } | {
        /**
         * @generated from field: tickwire.v1.Publish publish = 18;
         */
        value: Publish;
        case: "publish";
    } | {
        /**
         * server → client
         *
         * @generated from field: tickwire.v1.Welcome welcome = 30;
         */
        value: Welcome;
        case: "welcome";
    } | {
        /**
         * @generated from field: tickwire.v1.Joined joined = 31;
         */
        value: Joined;
        case: "joined";
    } | {
        /**
         * @generated from field: tickwire.v1.Left left = 32;
         */
        value: Left;
        case: "left";
    } | {
        /**
         * @generated from field: tickwire.v1.StateFrame state = 33;
         */
        value: StateFrame;
        case: "state";
    } | {
        /**
         * @generated from field: tickwire.v1.Pong pong = 34;
         */
        value: Pong;
        case: "pong";
    } | {
        /**
         * @generated from field: tickwire.v1.Error error = 35;
         */
        value: Error;
        case: "error";
    } | {
        /**
         * @generated from field: tickwire.v1.LobbyReply lobby_reply = 36;
         */
        value: LobbyReply;
        case: "lobbyReply";
    } | {
        /**
         * @generated from field: tickwire.v1.ChannelReply channel_reply = 37;
         */
        value: ChannelReply;
        case: "channelReply";
    } | {
        /**
         * @generated from field: tickwire.v1.ChannelMessage channel_message = 38;
         */
        value: ChannelMessage;
        case: "channelMessage";
    } | {
        /**
         * @generated from field: tickwire.v1.Presence presence = 39;
         */
        value: Presence;
        case: "presence";
    } | {
        case: undefined;
        value?: undefined;
    };
};
/**
 * Describes the message tickwire.v1.Envelope.
 * Use `create(EnvelopeSchema)` to create a new message.
 */
export declare const EnvelopeSchema: GenMessage<Envelope>;
/**
 * Hello opens a session. It is optional: a client that sends none is greeted
 * with protocol version 1 defaults.
 *
 * @generated from message tickwire.v1.Hello
 */
export type Hello = Message<"tickwire.v1.Hello"> & {
    /**
     * The protocol version the client speaks; 0 means 1.
     *
     * @generated from field: uint32 protocol_version = 1;
     */
    protocolVersion: number;
    /**
     * Free-form client name and version, for logs ("tickwire-go/0.1").
     *
     * @generated from field: string client = 2;
     */
    client: string;
    /**
     * Bearer token of a lobby identity; empty for an anonymous session.
     *
     * @generated from field: string token = 3;
     */
    token: string;
};
/**
 * Describes the message tickwire.v1.Hello.
 * Use `create(HelloSchema)` to create a new message.
 */
export declare const HelloSchema: GenMessage<Hello>;
/**
 * Welcome answers Hello (and is sent unprompted when a session opens).
 *
 * @generated from message tickwire.v1.Welcome
 */
export type Welcome = Message<"tickwire.v1.Welcome"> & {
    /**
     * @generated from field: uint32 protocol_version = 1;
     */
    protocolVersion: number;
    /**
     * Server wall clock, Unix nanoseconds, for clock-offset estimation.
     *
     * @generated from field: int64 server_time_unix_nano = 2;
     */
    serverTimeUnixNano: bigint;
    /**
     * This connection's session id.
     *
     * @generated from field: string session_id = 3;
     */
    sessionId: string;
    /**
     * The player this session speaks for.
     *
     * @generated from field: string player_id = 4;
     */
    playerId: string;
    /**
     * A bearer token for player_id when the server made this session a
     * guest identity: present it (Hello.token, or ?token= on /ws) to come
     * back as the same player, e.g. to reconnect within a room's grace.
     *
     * @generated from field: string token = 5;
     */
    token: string;
    /**
     * The server's Tickwire version (github.com/tickwire/tickwire/version),
     * e.g. "0.2.0-dev": for logs and bug reports, not for feature checks
     * (protocol_version is the wire's version).
     *
     * @generated from field: string server_version = 6;
     */
    serverVersion: string;
};
/**
 * Describes the message tickwire.v1.Welcome.
 * Use `create(WelcomeSchema)` to create a new message.
 */
export declare const WelcomeSchema: GenMessage<Welcome>;
/**
 * JoinRoom asks to take a seat in a room.
 *
 * @generated from message tickwire.v1.JoinRoom
 */
export type JoinRoom = Message<"tickwire.v1.JoinRoom"> & {
    /**
     * @generated from field: string room_id = 1;
     */
    roomId: string;
    /**
     * A seat token issued by the lobby; empty where the server allows open joins.
     *
     * @generated from field: string seat = 2;
     */
    seat: string;
    /**
     * Game name, used with an empty room_id to join or create a room of that game.
     *
     * @generated from field: string game = 3;
     */
    game: string;
    /**
     * With game and no room_id: always create a new room (where the server
     * allows joins without a lobby seat).
     *
     * @generated from field: bool create = 4;
     */
    create: boolean;
};
/**
 * Describes the message tickwire.v1.JoinRoom.
 * Use `create(JoinRoomSchema)` to create a new message.
 */
export declare const JoinRoomSchema: GenMessage<JoinRoom>;
/**
 * LeaveRoom gives up the seat in a room.
 *
 * @generated from message tickwire.v1.LeaveRoom
 */
export type LeaveRoom = Message<"tickwire.v1.LeaveRoom"> & {
    /**
     * @generated from field: string room_id = 1;
     */
    roomId: string;
};
/**
 * Describes the message tickwire.v1.LeaveRoom.
 * Use `create(LeaveRoomSchema)` to create a new message.
 */
export declare const LeaveRoomSchema: GenMessage<LeaveRoom>;
/**
 * Joined confirms a seat. The first StateFrame for the room (a snapshot) follows.
 *
 * @generated from message tickwire.v1.Joined
 */
export type Joined = Message<"tickwire.v1.Joined"> & {
    /**
     * @generated from field: string room_id = 1;
     */
    roomId: string;
    /**
     * @generated from field: string game = 2;
     */
    game: string;
    /**
     * @generated from field: string player_id = 3;
     */
    playerId: string;
    /**
     * @generated from field: uint32 tick_hz = 4;
     */
    tickHz: number;
    /**
     * Fully qualified protobuf name of the game's state and input messages.
     *
     * @generated from field: string state_type = 5;
     */
    stateType: string;
    /**
     * @generated from field: string input_type = 6;
     */
    inputType: string;
};
/**
 * Describes the message tickwire.v1.Joined.
 * Use `create(JoinedSchema)` to create a new message.
 */
export declare const JoinedSchema: GenMessage<Joined>;
/**
 * Left tells a client it no longer has a seat in a room.
 *
 * @generated from message tickwire.v1.Left
 */
export type Left = Message<"tickwire.v1.Left"> & {
    /**
     * @generated from field: string room_id = 1;
     */
    roomId: string;
    /**
     * @generated from field: tickwire.v1.ErrorCode code = 2;
     */
    code: ErrorCode;
    /**
     * @generated from field: string reason = 3;
     */
    reason: string;
};
/**
 * Describes the message tickwire.v1.Left.
 * Use `create(LeftSchema)` to create a new message.
 */
export declare const LeftSchema: GenMessage<Left>;
/**
 * Input is one game input. seq increases by one per input per player and room;
 * the server reports the highest seq it has applied in every StateFrame.
 *
 * @generated from message tickwire.v1.Input
 */
export type Input = Message<"tickwire.v1.Input"> & {
    /**
     * @generated from field: string room_id = 1;
     */
    roomId: string;
    /**
     * @generated from field: uint64 seq = 2;
     */
    seq: bigint;
    /**
     * The game's own input message, protobuf-encoded.
     *
     * @generated from field: bytes payload = 3;
     */
    payload: Uint8Array;
};
/**
 * Describes the message tickwire.v1.Input.
 * Use `create(InputSchema)` to create a new message.
 */
export declare const InputSchema: GenMessage<Input>;
/**
 * StateFrame carries a room's state after a tick: a full snapshot or a delta
 * against the previous frame the receiver got.
 *
 * The server encodes the shared part once per view and appends the receiver's
 * last_input_seq as a second encoding of the same Envelope field; protobuf
 * merges the two, so decoders see one StateFrame.
 *
 * @generated from message tickwire.v1.StateFrame
 */
export type StateFrame = Message<"tickwire.v1.StateFrame"> & {
    /**
     * @generated from field: string room_id = 1;
     */
    roomId: string;
    /**
     * @generated from field: uint64 tick = 2;
     */
    tick: bigint;
    /**
     * The highest Input.seq of this receiver that the state reflects.
     *
     * @generated from field: uint64 last_input_seq = 3;
     */
    lastInputSeq: bigint;
    /**
     * Server time when the tick started, Unix nanoseconds.
     *
     * @generated from field: int64 server_time_unix_nano = 4;
     */
    serverTimeUnixNano: bigint;
    /**
     * Topic names the part of the room's state this frame belongs to, for
     * games with topic-based interest (tick.Topics): a receiver keeps one
     * replica per topic and applies each frame to its topic's replica. Empty
     * for the whole state (or the receiver's single view) — and for a frame
     * that only carries last_input_seq (an empty delta) in a topic game.
     *
     * @generated from field: string topic = 5;
     */
    topic: string;
    /**
     * Unsubscribed says the receiver no longer gets frames of topic: drop its
     * replica. Such a frame has no body.
     *
     * @generated from field: bool unsubscribed = 6;
     */
    unsubscribed: boolean;
    /**
     * @generated from oneof tickwire.v1.StateFrame.body
     */
    body: {
        /**
         * The whole state, protobuf-encoded with the game's state message.
         *
         * @generated from field: bytes snapshot = 10;
         */
        value: Uint8Array;
        case: "snapshot";
    } | {
        /**
         * Changes since the previous frame.
         *
         * @generated from field: tickwire.v1.Delta delta = 11;
         */
        value: Delta;
        case: "delta";
    } | {
        case: undefined;
        value?: undefined;
    };
};
/**
 * Describes the message tickwire.v1.StateFrame.
 * Use `create(StateFrameSchema)` to create a new message.
 */
export declare const StateFrameSchema: GenMessage<StateFrame>;
/**
 * Delta turns the previous state into the next. Its patch is read against
 * the state's schema (so it carries no tags or field numbers) and against the
 * receiver's state (so it names map entries by rank, not by key):
 *
 * A message patch is a field mask, then each masked field's change in
 * declaration order. The mask is a bitmap over the message's fields in
 * declaration order (oneof members included), 7 fields a byte, low bits
 * first, the top bit of a byte saying another follows; at most
 * max(1, ceil(fields/7)) bytes, naming no field past the last. A change is:
 *   - a scalar without presence: its value (zero included);
 *   - a scalar with presence (optional, proto2, oneof member): byte 0 clears
 *     it, byte 1 and the value sets it (replacing another oneof member);
 *   - a message: byte 0 clears it, byte 1 and a message patch merges into it
 *     (created empty when absent or when another oneof member is set);
 *   - a repeated field: a count and that many values (messages as patches
 *     of an empty message), replacing the list;
 *   - a map: varint h; h = 0 empties it. Otherwise h-1 ranks of deleted
 *     entries; a count and that many changed entries, each a rank and the
 *     value's change (a message patch merged into it, or a scalar value);
 *     a count and that many added entries, each a key and a whole value. A
 *     rank is the entry's position among the map's keys before the delta in
 *     ascending order (false < true, numbers by value, strings by UTF-8
 *     bytes), written as the gap from the previous rank of its list (the
 *     first from -1). Changes apply first, then deletions, then additions.
 * Values: bool one byte 0 or 1; int32, int64, sint32, sint64 and enums
 * zigzag varints; uint32, uint64 varints; fixed32, sfixed32, float 4 bytes
 * and fixed64, sfixed64, double 8 bytes, little-endian; string (valid UTF-8)
 * and bytes a length and the bytes. 32-bit varints have at most 5 bytes and
 * fit 32 bits, others at most 10. Message patches nest at most 100 deep, and
 * the patch ends at its last byte. A receiver checks the whole patch before
 * changing anything and refuses one that does not fit.
 *
 * @generated from message tickwire.v1.Delta
 */
export type Delta = Message<"tickwire.v1.Delta"> & {
    /**
     * @generated from field: bytes patch = 1;
     */
    patch: Uint8Array;
    /**
     * No longer written: receivers refuse a delta with clears. (The field
     * stays so that old senders are told apart.)
     *
     * @generated from field: repeated tickwire.v1.FieldPath clears = 2;
     */
    clears: FieldPath[];
};
/**
 * Describes the message tickwire.v1.Delta.
 * Use `create(DeltaSchema)` to create a new message.
 */
export declare const DeltaSchema: GenMessage<Delta>;
/**
 * FieldPath addresses a field or map entry inside a state message.
 *
 * @generated from message tickwire.v1.FieldPath
 */
export type FieldPath = Message<"tickwire.v1.FieldPath"> & {
    /**
     * @generated from field: repeated tickwire.v1.PathStep steps = 1;
     */
    steps: PathStep[];
};
/**
 * Describes the message tickwire.v1.FieldPath.
 * Use `create(FieldPathSchema)` to create a new message.
 */
export declare const FieldPathSchema: GenMessage<FieldPath>;
/**
 * PathStep is one field number, and a map key when the field is a map.
 *
 * @generated from message tickwire.v1.PathStep
 */
export type PathStep = Message<"tickwire.v1.PathStep"> & {
    /**
     * @generated from field: uint32 field = 1;
     */
    field: number;
    /**
     * @generated from oneof tickwire.v1.PathStep.key
     */
    key: {
        /**
         * @generated from field: bool bool_key = 2;
         */
        value: boolean;
        case: "boolKey";
    } | {
        /**
         * @generated from field: int64 int_key = 3;
         */
        value: bigint;
        case: "intKey";
    } | {
        /**
         * @generated from field: uint64 uint_key = 4;
         */
        value: bigint;
        case: "uintKey";
    } | {
        /**
         * @generated from field: string string_key = 5;
         */
        value: string;
        case: "stringKey";
    } | {
        case: undefined;
        value?: undefined;
    };
};
/**
 * Describes the message tickwire.v1.PathStep.
 * Use `create(PathStepSchema)` to create a new message.
 */
export declare const PathStepSchema: GenMessage<PathStep>;
/**
 * LobbyRequest is the lobby's WebSocket face: the same operations, shapes
 * and errors as its HTTP JSON API under /lobby/ (README), for the session's
 * player. The reply is a LobbyReply (or an Error) with the request's ref.
 *
 * @generated from message tickwire.v1.LobbyRequest
 */
export type LobbyRequest = Message<"tickwire.v1.LobbyRequest"> & {
    /**
     * @generated from oneof tickwire.v1.LobbyRequest.op
     */
    op: {
        /**
         * GET /lobby/games
         *
         * @generated from field: tickwire.v1.ListGames list_games = 1;
         */
        value: ListGames;
        case: "listGames";
    } | {
        /**
         * GET /lobby/rooms?game=
         *
         * @generated from field: tickwire.v1.ListRooms list_rooms = 2;
         */
        value: ListRooms;
        case: "listRooms";
    } | {
        /**
         * POST /lobby/rooms
         *
         * @generated from field: tickwire.v1.CreateRoom create_room = 3;
         */
        value: CreateRoom;
        case: "createRoom";
    } | {
        /**
         * POST /lobby/join
         *
         * @generated from field: tickwire.v1.LobbyJoin join = 4;
         */
        value: LobbyJoin;
        case: "join";
    } | {
        /**
         * POST /lobby/tickets
         *
         * @generated from field: tickwire.v1.CreateTicket create_ticket = 5;
         */
        value: CreateTicket;
        case: "createTicket";
    } | {
        /**
         * GET /lobby/tickets/ID
         *
         * @generated from field: string get_ticket = 6;
         */
        value: string;
        case: "getTicket";
    } | {
        /**
         * DELETE /lobby/tickets/ID
         *
         * @generated from field: string cancel_ticket = 7;
         */
        value: string;
        case: "cancelTicket";
    } | {
        case: undefined;
        value?: undefined;
    };
};
/**
 * Describes the message tickwire.v1.LobbyRequest.
 * Use `create(LobbyRequestSchema)` to create a new message.
 */
export declare const LobbyRequestSchema: GenMessage<LobbyRequest>;
/**
 * @generated from message tickwire.v1.ListGames
 */
export type ListGames = Message<"tickwire.v1.ListGames"> & {};
/**
 * Describes the message tickwire.v1.ListGames.
 * Use `create(ListGamesSchema)` to create a new message.
 */
export declare const ListGamesSchema: GenMessage<ListGames>;
/**
 * @generated from message tickwire.v1.ListRooms
 */
export type ListRooms = Message<"tickwire.v1.ListRooms"> & {
    /**
     * @generated from field: string game = 1;
     */
    game: string;
};
/**
 * Describes the message tickwire.v1.ListRooms.
 * Use `create(ListRoomsSchema)` to create a new message.
 */
export declare const ListRoomsSchema: GenMessage<ListRooms>;
/**
 * @generated from message tickwire.v1.CreateRoom
 */
export type CreateRoom = Message<"tickwire.v1.CreateRoom"> & {
    /**
     * @generated from field: string game = 1;
     */
    game: string;
    /**
     * @generated from field: bool private = 2;
     */
    private: boolean;
    /**
     * @generated from field: uint32 max_players = 3;
     */
    maxPlayers: number;
};
/**
 * Describes the message tickwire.v1.CreateRoom.
 * Use `create(CreateRoomSchema)` to create a new message.
 */
export declare const CreateRoomSchema: GenMessage<CreateRoom>;
/**
 * LobbyJoin asks for a seat: by room_id, by join_code, or quick (the
 * fullest joinable public room of game, created when there is none).
 *
 * @generated from message tickwire.v1.LobbyJoin
 */
export type LobbyJoin = Message<"tickwire.v1.LobbyJoin"> & {
    /**
     * @generated from field: string room_id = 1;
     */
    roomId: string;
    /**
     * @generated from field: string join_code = 2;
     */
    joinCode: string;
    /**
     * @generated from field: string game = 3;
     */
    game: string;
    /**
     * @generated from field: bool quick = 4;
     */
    quick: boolean;
};
/**
 * Describes the message tickwire.v1.LobbyJoin.
 * Use `create(LobbyJoinSchema)` to create a new message.
 */
export declare const LobbyJoinSchema: GenMessage<LobbyJoin>;
/**
 * @generated from message tickwire.v1.CreateTicket
 */
export type CreateTicket = Message<"tickwire.v1.CreateTicket"> & {
    /**
     * @generated from field: string game = 1;
     */
    game: string;
    /**
     * @generated from field: double skill = 2;
     */
    skill: number;
    /**
     * @generated from field: repeated string party = 3;
     */
    party: string[];
    /**
     * @generated from field: string region = 4;
     */
    region: string;
    /**
     * @generated from field: string mode = 5;
     */
    mode: string;
};
/**
 * Describes the message tickwire.v1.CreateTicket.
 * Use `create(CreateTicketSchema)` to create a new message.
 */
export declare const CreateTicketSchema: GenMessage<CreateTicket>;
/**
 * LobbyReply answers a LobbyRequest; the fields of its operation are set.
 *
 * @generated from message tickwire.v1.LobbyReply
 */
export type LobbyReply = Message<"tickwire.v1.LobbyReply"> & {
    /**
     * @generated from field: repeated tickwire.v1.GameInfo games = 1;
     */
    games: GameInfo[];
    /**
     * @generated from field: repeated tickwire.v1.RoomListing rooms = 2;
     */
    rooms: RoomListing[];
    /**
     * create_room and join: a seat to present in JoinRoom.
     *
     * @generated from field: tickwire.v1.Grant grant = 3;
     */
    grant?: Grant | undefined;
    /**
     * create_ticket.
     *
     * @generated from field: string ticket_id = 4;
     */
    ticketId: string;
    /**
     * get_ticket and cancel_ticket.
     *
     * @generated from field: tickwire.v1.Ticket ticket = 5;
     */
    ticket?: Ticket | undefined;
};
/**
 * Describes the message tickwire.v1.LobbyReply.
 * Use `create(LobbyReplySchema)` to create a new message.
 */
export declare const LobbyReplySchema: GenMessage<LobbyReply>;
/**
 * @generated from message tickwire.v1.GameInfo
 */
export type GameInfo = Message<"tickwire.v1.GameInfo"> & {
    /**
     * @generated from field: string name = 1;
     */
    name: string;
    /**
     * @generated from field: uint32 min_players = 2;
     */
    minPlayers: number;
    /**
     * @generated from field: uint32 max_players = 3;
     */
    maxPlayers: number;
    /**
     * @generated from field: uint32 tick_hz = 4;
     */
    tickHz: number;
};
/**
 * Describes the message tickwire.v1.GameInfo.
 * Use `create(GameInfoSchema)` to create a new message.
 */
export declare const GameInfoSchema: GenMessage<GameInfo>;
/**
 * @generated from message tickwire.v1.RoomListing
 */
export type RoomListing = Message<"tickwire.v1.RoomListing"> & {
    /**
     * @generated from field: string id = 1;
     */
    id: string;
    /**
     * @generated from field: string game = 2;
     */
    game: string;
    /**
     * @generated from field: uint32 players = 3;
     */
    players: number;
    /**
     * @generated from field: uint32 max_players = 4;
     */
    maxPlayers: number;
    /**
     * @generated from field: bool private = 5;
     */
    private: boolean;
    /**
     * @generated from field: bool joinable = 6;
     */
    joinable: boolean;
};
/**
 * Describes the message tickwire.v1.RoomListing.
 * Use `create(RoomListingSchema)` to create a new message.
 */
export declare const RoomListingSchema: GenMessage<RoomListing>;
/**
 * @generated from message tickwire.v1.Grant
 */
export type Grant = Message<"tickwire.v1.Grant"> & {
    /**
     * @generated from field: string room_id = 1;
     */
    roomId: string;
    /**
     * @generated from field: string join_code = 2;
     */
    joinCode: string;
    /**
     * @generated from field: string seat = 3;
     */
    seat: string;
    /**
     * In a cluster, the public base URL (http(s)://host:port) of the node
     * running the room: open /ws there and present the seat. Empty: this
     * server.
     *
     * @generated from field: string url = 4;
     */
    url: string;
};
/**
 * Describes the message tickwire.v1.Grant.
 * Use `create(GrantSchema)` to create a new message.
 */
export declare const GrantSchema: GenMessage<Grant>;
/**
 * @generated from message tickwire.v1.Ticket
 */
export type Ticket = Message<"tickwire.v1.Ticket"> & {
    /**
     * @generated from field: string ticket_id = 1;
     */
    ticketId: string;
    /**
     * @generated from field: string game = 2;
     */
    game: string;
    /**
     * searching, matched, expired or cancelled.
     *
     * @generated from field: string status = 3;
     */
    status: string;
    /**
     * @generated from field: string room_id = 4;
     */
    roomId: string;
    /**
     * @generated from field: string seat = 5;
     */
    seat: string;
    /**
     * In a cluster, the node to open /ws at for the seat (see Grant.url).
     *
     * @generated from field: string url = 6;
     */
    url: string;
};
/**
 * Describes the message tickwire.v1.Ticket.
 * Use `create(TicketSchema)` to create a new message.
 */
export declare const TicketSchema: GenMessage<Ticket>;
/**
 * Subscribe asks for a channel's messages (README, "Channels"). The reply
 * is a ChannelReply with the channel's members (presence channels) and the
 * number of history messages that follow it; then the history, oldest
 * first, then live messages, each exactly once.
 *
 * @generated from message tickwire.v1.Subscribe
 */
export type Subscribe = Message<"tickwire.v1.Subscribe"> & {
    /**
     * @generated from field: string channel = 1;
     */
    channel: string;
    /**
     * A display name for presence (at most 32 characters); the player id
     * stays the authoritative identity.
     *
     * @generated from field: string name = 2;
     */
    name: string;
};
/**
 * Describes the message tickwire.v1.Subscribe.
 * Use `create(SubscribeSchema)` to create a new message.
 */
export declare const SubscribeSchema: GenMessage<Subscribe>;
/**
 * Unsubscribe stops a subscription; the reply is a ChannelReply.
 *
 * @generated from message tickwire.v1.Unsubscribe
 */
export type Unsubscribe = Message<"tickwire.v1.Unsubscribe"> & {
    /**
     * @generated from field: string channel = 1;
     */
    channel: string;
};
/**
 * Describes the message tickwire.v1.Unsubscribe.
 * Use `create(UnsubscribeSchema)` to create a new message.
 */
export declare const UnsubscribeSchema: GenMessage<Unsubscribe>;
/**
 * Publish sends data to every subscriber of a channel, if the channel's
 * policy lets this session publish. With a ref the server acknowledges it
 * with a ChannelReply; without one only errors come back (ref 0).
 *
 * @generated from message tickwire.v1.Publish
 */
export type Publish = Message<"tickwire.v1.Publish"> & {
    /**
     * @generated from field: string channel = 1;
     */
    channel: string;
    /**
     * @generated from field: bytes data = 2;
     */
    data: Uint8Array;
};
/**
 * Describes the message tickwire.v1.Publish.
 * Use `create(PublishSchema)` to create a new message.
 */
export declare const PublishSchema: GenMessage<Publish>;
/**
 * ChannelReply answers Subscribe, Unsubscribe and Publish. Sent with ref 0
 * and ended set, it tells the client the server ended a subscription
 * (e.g. the player left the room whose chat it was).
 *
 * @generated from message tickwire.v1.ChannelReply
 */
export type ChannelReply = Message<"tickwire.v1.ChannelReply"> & {
    /**
     * @generated from field: string channel = 1;
     */
    channel: string;
    /**
     * Subscribe on a presence channel: who is subscribed now. The
     * subscriber's own player is in it only when another of his sessions was
     * subscribed already; otherwise his join follows as a Presence.
     *
     * @generated from field: repeated tickwire.v1.PresenceMember members = 2;
     */
    members: PresenceMember[];
    /**
     * Subscribe: how many history messages follow this reply.
     *
     * @generated from field: uint32 history = 3;
     */
    history: number;
    /**
     * Subscribe: the channel's incarnation on this server and the seq of its
     * latest message (0: none yet). Seqs compare only within one epoch.
     *
     * @generated from field: uint64 epoch = 4;
     */
    epoch: bigint;
    /**
     * @generated from field: uint64 last_seq = 5;
     */
    lastSeq: bigint;
    /**
     * Sent unprompted: the subscription ended for code and reason.
     *
     * @generated from field: bool ended = 6;
     */
    ended: boolean;
    /**
     * @generated from field: tickwire.v1.ErrorCode code = 7;
     */
    code: ErrorCode;
    /**
     * @generated from field: string reason = 8;
     */
    reason: string;
};
/**
 * Describes the message tickwire.v1.ChannelReply.
 * Use `create(ChannelReplySchema)` to create a new message.
 */
export declare const ChannelReplySchema: GenMessage<ChannelReply>;
/**
 * ChannelMessage is one message of a channel. The server encodes it once
 * and sends the same bytes to every subscriber (and to late joiners, as
 * history).
 *
 * @generated from message tickwire.v1.ChannelMessage
 */
export type ChannelMessage = Message<"tickwire.v1.ChannelMessage"> & {
    /**
     * @generated from field: string channel = 1;
     */
    channel: string;
    /**
     * Position in the channel on this server: 1, 2, 3, … within one epoch.
     *
     * @generated from field: uint64 seq = 2;
     */
    seq: bigint;
    /**
     * The publishing player; empty for the server (HTTP publish API).
     *
     * @generated from field: string from = 3;
     */
    from: string;
    /**
     * @generated from field: bytes data = 4;
     */
    data: Uint8Array;
    /**
     * When the server accepted it, Unix nanoseconds.
     *
     * @generated from field: int64 server_time_unix_nano = 5;
     */
    serverTimeUnixNano: bigint;
};
/**
 * Describes the message tickwire.v1.ChannelMessage.
 * Use `create(ChannelMessageSchema)` to create a new message.
 */
export declare const ChannelMessageSchema: GenMessage<ChannelMessage>;
/**
 * Presence reports a member joining or leaving a presence channel. A
 * player is a member while at least one of his sessions is subscribed.
 *
 * @generated from message tickwire.v1.Presence
 */
export type Presence = Message<"tickwire.v1.Presence"> & {
    /**
     * @generated from field: string channel = 1;
     */
    channel: string;
    /**
     * @generated from field: tickwire.v1.PresenceMember member = 2;
     */
    member?: PresenceMember | undefined;
    /**
     * false: joined; true: left.
     *
     * @generated from field: bool left = 3;
     */
    left: boolean;
};
/**
 * Describes the message tickwire.v1.Presence.
 * Use `create(PresenceSchema)` to create a new message.
 */
export declare const PresenceSchema: GenMessage<Presence>;
/**
 * @generated from message tickwire.v1.PresenceMember
 */
export type PresenceMember = Message<"tickwire.v1.PresenceMember"> & {
    /**
     * @generated from field: string player_id = 1;
     */
    playerId: string;
    /**
     * @generated from field: string name = 2;
     */
    name: string;
};
/**
 * Describes the message tickwire.v1.PresenceMember.
 * Use `create(PresenceMemberSchema)` to create a new message.
 */
export declare const PresenceMemberSchema: GenMessage<PresenceMember>;
/**
 * Ping asks for a Pong to measure round-trip time.
 *
 * @generated from message tickwire.v1.Ping
 */
export type Ping = Message<"tickwire.v1.Ping"> & {
    /**
     * @generated from field: int64 client_time_unix_nano = 1;
     */
    clientTimeUnixNano: bigint;
};
/**
 * Describes the message tickwire.v1.Ping.
 * Use `create(PingSchema)` to create a new message.
 */
export declare const PingSchema: GenMessage<Ping>;
/**
 * Pong answers Ping.
 *
 * @generated from message tickwire.v1.Pong
 */
export type Pong = Message<"tickwire.v1.Pong"> & {
    /**
     * @generated from field: int64 client_time_unix_nano = 1;
     */
    clientTimeUnixNano: bigint;
    /**
     * @generated from field: int64 server_time_unix_nano = 2;
     */
    serverTimeUnixNano: bigint;
};
/**
 * Describes the message tickwire.v1.Pong.
 * Use `create(PongSchema)` to create a new message.
 */
export declare const PongSchema: GenMessage<Pong>;
/**
 * Error reports a failed request or a refused input. Envelope.ref names the
 * request it answers.
 *
 * @generated from message tickwire.v1.Error
 */
export type Error = Message<"tickwire.v1.Error"> & {
    /**
     * @generated from field: tickwire.v1.ErrorCode code = 1;
     */
    code: ErrorCode;
    /**
     * @generated from field: string message = 2;
     */
    message: string;
    /**
     * For an error about an input (INPUT_REFUSED, BAD_INPUT, RATE_LIMITED):
     * the room and the Input.seq it refers to. For ROOM_ELSEWHERE: the room.
     *
     * @generated from field: string room_id = 3;
     */
    roomId: string;
    /**
     * @generated from field: uint64 input_seq = 4;
     */
    inputSeq: bigint;
    /**
     * For ROOM_ELSEWHERE: the public URL of the cluster node running the
     * room (http(s)://host:port); connect there and join room_id (the player
     * holds a place in it).
     *
     * @generated from field: string url = 5;
     */
    url: string;
};
/**
 * Describes the message tickwire.v1.Error.
 * Use `create(ErrorSchema)` to create a new message.
 */
export declare const ErrorSchema: GenMessage<Error>;
/**
 * ErrorCode is the closed set of errors that cross the wire. The README lists them.
 *
 * @generated from enum tickwire.v1.ErrorCode
 */
export declare enum ErrorCode {
    /**
     * @generated from enum value: ERROR_CODE_UNSPECIFIED = 0;
     */
    UNSPECIFIED = 0,
    /**
     * The message was well-formed protobuf but not a valid request.
     *
     * @generated from enum value: ERROR_CODE_BAD_REQUEST = 1;
     */
    BAD_REQUEST = 1,
    /**
     * The client's protocol version is not served here.
     *
     * @generated from enum value: ERROR_CODE_UNSUPPORTED_VERSION = 2;
     */
    UNSUPPORTED_VERSION = 2,
    /**
     * Missing, bad or expired identity.
     *
     * @generated from enum value: ERROR_CODE_UNAUTHENTICATED = 3;
     */
    UNAUTHENTICATED = 3,
    /**
     * No such room.
     *
     * @generated from enum value: ERROR_CODE_ROOM_NOT_FOUND = 4;
     */
    ROOM_NOT_FOUND = 4,
    /**
     * The room has no free seat.
     *
     * @generated from enum value: ERROR_CODE_ROOM_FULL = 5;
     */
    ROOM_FULL = 5,
    /**
     * The request names a room the session has no seat in.
     *
     * @generated from enum value: ERROR_CODE_NOT_IN_ROOM = 6;
     */
    NOT_IN_ROOM = 6,
    /**
     * Too many requests or inputs; the excess was dropped.
     *
     * @generated from enum value: ERROR_CODE_RATE_LIMITED = 7;
     */
    RATE_LIMITED = 7,
    /**
     * The seat token is forged, expired, reused or for another room.
     *
     * @generated from enum value: ERROR_CODE_SEAT_INVALID = 8;
     */
    SEAT_INVALID = 8,
    /**
     * The game refused the request (its own reason is in the message).
     *
     * @generated from enum value: ERROR_CODE_GAME_REFUSED = 9;
     */
    GAME_REFUSED = 9,
    /**
     * The room ended because its game failed.
     *
     * @generated from enum value: ERROR_CODE_ROOM_FAILED = 10;
     */
    ROOM_FAILED = 10,
    /**
     * No such game.
     *
     * @generated from enum value: ERROR_CODE_GAME_NOT_FOUND = 11;
     */
    GAME_NOT_FOUND = 11,
    /**
     * The server is shutting down.
     *
     * @generated from enum value: ERROR_CODE_SHUTTING_DOWN = 12;
     */
    SHUTTING_DOWN = 12,
    /**
     * An internal error; the server logged it.
     *
     * @generated from enum value: ERROR_CODE_INTERNAL = 13;
     */
    INTERNAL = 13,
    /**
     * The input payload did not decode as the game's input message.
     *
     * @generated from enum value: ERROR_CODE_BAD_INPUT = 14;
     */
    BAD_INPUT = 14,
    /**
     * The session is already seated in that room.
     *
     * @generated from enum value: ERROR_CODE_ALREADY_JOINED = 15;
     */
    ALREADY_JOINED = 15,
    /**
     * A player is already in a searching matchmaking ticket.
     *
     * @generated from enum value: ERROR_CODE_ALREADY_QUEUED = 16;
     */
    ALREADY_QUEUED = 16,
    /**
     * A player already holds a seat in a room.
     *
     * @generated from enum value: ERROR_CODE_ALREADY_IN_ROOM = 17;
     */
    ALREADY_IN_ROOM = 17,
    /**
     * No such ticket (or the asker is not in its party).
     *
     * @generated from enum value: ERROR_CODE_TICKET_NOT_FOUND = 18;
     */
    TICKET_NOT_FOUND = 18,
    /**
     * The ticket is no longer searching (matched, expired or cancelled).
     *
     * @generated from enum value: ERROR_CODE_TICKET_DONE = 19;
     */
    TICKET_DONE = 19,
    /**
     * This node runs as many rooms as it may.
     *
     * @generated from enum value: ERROR_CODE_NODE_FULL = 20;
     */
    NODE_FULL = 20,
    /**
     * The game refused an input as against its rules (the message says why);
     * the input changed nothing.
     *
     * @generated from enum value: ERROR_CODE_INPUT_REFUSED = 21;
     */
    INPUT_REFUSED = 21,
    /**
     * The channel's policy does not let this session subscribe or publish
     * there (e.g. a room chat of a room the player has no seat in).
     *
     * @generated from enum value: ERROR_CODE_CHANNEL_FORBIDDEN = 22;
     */
    CHANNEL_FORBIDDEN = 22,
    /**
     * The session has as many channel subscriptions as it may.
     *
     * @generated from enum value: ERROR_CODE_SUBSCRIPTION_LIMIT = 23;
     */
    SUBSCRIPTION_LIMIT = 23,
    /**
     * A published message is larger than the channel message size cap.
     *
     * @generated from enum value: ERROR_CODE_MESSAGE_TOO_LARGE = 24;
     */
    MESSAGE_TOO_LARGE = 24,
    /**
     * The session is not subscribed to that channel.
     *
     * @generated from enum value: ERROR_CODE_NOT_SUBSCRIBED = 25;
     */
    NOT_SUBSCRIBED = 25,
    /**
     * The room runs on another node of the cluster: Error.url names it.
     *
     * @generated from enum value: ERROR_CODE_ROOM_ELSEWHERE = 26;
     */
    ROOM_ELSEWHERE = 26
}
/**
 * Describes the enum tickwire.v1.ErrorCode.
 */
export declare const ErrorCodeSchema: GenEnum<ErrorCode>;
