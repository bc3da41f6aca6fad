// Lobby: fetch wrappers for the lobby's HTTP JSON API (docs/lobby.md).
// The field names are the API's own (snake_case): they are a contract.

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
export type LobbyJoin = { room_id: string } | { join_code: string } | { game: string; quick: true };

/** LobbyError is a failed lobby request: the HTTP status and the API's error code and message. */
export class LobbyError extends Error {
  override name = "LobbyError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`lobby: ${code}: ${message}`);
  }
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
export class Lobby {
  /** The bearer token, set by guest() or the constructor. */
  token: string | undefined;
  /** The player id guest() returned. */
  playerId: string | undefined;
  private readonly base: string;
  private readonly fetchFn: typeof fetch;

  constructor(opts: LobbyOptions = {}) {
    this.base = (opts.baseUrl ?? "").replace(/\/+$/, "");
    this.token = opts.token;
    this.fetchFn = opts.fetch ?? ((input, init) => fetch(input, init));
  }

  /** guest creates a guest identity (POST /lobby/guest) and keeps its token. */
  async guest(name: string): Promise<{ player_id: string; token: string }> {
    const r = await this.call<{ player_id: string; token: string }>("POST", "/lobby/guest", { name }, false);
    this.token = r.token;
    this.playerId = r.player_id;
    return r;
  }

  /** games lists the games the server hosts (GET /lobby/games). */
  async games(): Promise<LobbyGame[]> {
    return (await this.call<{ games: LobbyGame[] }>("GET", "/lobby/games")).games;
  }

  /** rooms lists the public rooms of game (GET /lobby/rooms?game=). */
  async rooms(game: string): Promise<LobbyRoom[]> {
    return (await this.call<{ rooms: LobbyRoom[] }>("GET", `/lobby/rooms?game=${encodeURIComponent(game)}`)).rooms;
  }

  /** createRoom creates a room and returns its id, join code and a seat in it (POST /lobby/rooms). */
  createRoom(req: { game: string; private?: boolean; max_players?: number }): Promise<LobbyCreated> {
    return this.call("POST", "/lobby/rooms", req);
  }

  /** join gets a seat in a room by id, by join code, or by quick join (POST /lobby/join). */
  join(req: LobbyJoin): Promise<LobbySeat> {
    return this.call("POST", "/lobby/join", req);
  }

  /** createTicket starts matchmaking (POST /lobby/tickets) and returns the ticket id; poll ticket() about once a second. */
  async createTicket(req: LobbyTicketRequest): Promise<string> {
    return (await this.call<{ ticket_id: string }>("POST", "/lobby/tickets", req)).ticket_id;
  }

  /** ticket reads a ticket's state (GET /lobby/tickets/ID). */
  ticket(id: string): Promise<LobbyTicket> {
    return this.call("GET", `/lobby/tickets/${encodeURIComponent(id)}`);
  }

  /** cancelTicket cancels matchmaking (DELETE /lobby/tickets/ID) and returns the cancelled ticket. */
  cancelTicket(id: string): Promise<LobbyTicket> {
    return this.call("DELETE", `/lobby/tickets/${encodeURIComponent(id)}`);
  }

  /** call makes one JSON request and decodes the reply or the API's error. */
  private async call<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (auth && this.token !== undefined) headers["Authorization"] = `Bearer ${this.token}`;
    const res = await this.fetchFn(this.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text === "" ? {} : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new LobbyError(res.status, e?.code ?? "http_" + res.status, e?.message ?? text.slice(0, 200));
    }
    if (json === undefined) {
      throw new LobbyError(res.status, "bad_response", `${method} ${path}: not JSON`);
    }
    return json as T;
  }
}
