/** A game the server hosts. */
export interface LobbyGame {
    name: string;
    min_players: number;
    max_players: number;
    tick_hz: number;
}
/** A public room, as the room browser lists it. */
export interface LobbyRoom {
    id: string;
    game: string;
    players: number;
    max_players: number;
    private: boolean;
    joinable: boolean;
}
/** A seat to present in JoinRoom: opaque, signed, expiring, single-use. */
export interface LobbySeat {
    room_id: string;
    seat: string;
    /**
     * In a cluster, the base URL (http(s)://host:port) of the node running the
     * room when it is not this server: open `${url}/ws` and present the seat
     * there (the seat names its node; any other node refuses it). Absent: this
     * server. The SDK does not follow it by itself: pass it to connect().
     */
    url?: string;
}
/** What POST /lobby/rooms returns. */
export interface LobbyCreated extends LobbySeat {
    join_code: string;
}
/** A matchmaking ticket's state; room_id and seat are set once matched. */
export interface LobbyTicket {
    ticket_id: string;
    game: string;
    status: "searching" | "matched" | "expired" | "cancelled";
    room_id?: string;
    seat?: string;
    /** In a cluster, the node to connect to for the seat, when not this server (see LobbySeat.url). */
    url?: string;
}
/** What POST /lobby/tickets takes: party lists the player ids kept together (you among them). */
export interface LobbyTicketRequest {
    game: string;
    skill?: number;
    party?: string[];
    region?: string;
    mode?: string;
}
/** How to join through the lobby: a room id, a join code, or a quick join of a game. */
export type LobbyJoin = {
    room_id: string;
} | {
    join_code: string;
} | {
    game: string;
    quick: true;
};
/** LobbyError is a failed lobby request: the HTTP status and the API's error code and message. */
export declare class LobbyError extends Error {
    readonly status: number;
    readonly code: string;
    name: string;
    constructor(status: number, code: string, message: string);
}
/** LobbyOptions configure a Lobby. */
export interface LobbyOptions {
    /** The server's base URL ("" or undefined: this page's origin). */
    baseUrl?: string;
    /** A token from an earlier guest login. */
    token?: string;
    /** The fetch function to use. Default: globalThis.fetch. */
    fetch?: typeof fetch;
}
/**
 * Lobby talks to the lobby's HTTP JSON API under /lobby/. guest() gets an
 * identity and keeps its token, which every other call sends as a bearer
 * token; pass `getToken: () => lobby.token` to connect so the WebSocket
 * speaks for the same player (and a reconnect resumes its seats). A page
 * that connected first can reuse the session's guest instead:
 * `new Lobby({ token: client.token })`. The same operations also run over
 * the WebSocket with Client.lobby.
 */
export declare class Lobby {
    /** The bearer token, set by guest() or the constructor. */
    token: string | undefined;
    /** The player id guest() returned. */
    playerId: string | undefined;
    private readonly base;
    private readonly fetchFn;
    constructor(opts?: LobbyOptions);
    /** guest creates a guest identity (POST /lobby/guest) and keeps its token. */
    guest(name: string): Promise<{
        player_id: string;
        token: string;
    }>;
    /** games lists the games the server hosts (GET /lobby/games). */
    games(): Promise<LobbyGame[]>;
    /** rooms lists the public rooms of game (GET /lobby/rooms?game=). */
    rooms(game: string): Promise<LobbyRoom[]>;
    /** createRoom creates a room and returns its id, join code and a seat in it (POST /lobby/rooms). */
    createRoom(req: {
        game: string;
        private?: boolean;
        max_players?: number;
    }): Promise<LobbyCreated>;
    /** join gets a seat in a room by id, by join code, or by quick join (POST /lobby/join). */
    join(req: LobbyJoin): Promise<LobbySeat>;
    /** createTicket starts matchmaking (POST /lobby/tickets) and returns the ticket id; poll ticket() about once a second. */
    createTicket(req: LobbyTicketRequest): Promise<string>;
    /** ticket reads a ticket's state (GET /lobby/tickets/ID). */
    ticket(id: string): Promise<LobbyTicket>;
    /** cancelTicket cancels matchmaking (DELETE /lobby/tickets/ID) and returns the cancelled ticket. */
    cancelTicket(id: string): Promise<LobbyTicket>;
    /** call makes one JSON request and decodes the reply or the API's error. */
    private call;
}
