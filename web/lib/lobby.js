// Lobby: fetch wrappers for the lobby's HTTP JSON API (docs/lobby.md).
// The field names are the API's own (snake_case): they are a contract.
/** LobbyError is a failed lobby request: the HTTP status and the API's error code and message. */
export class LobbyError extends Error {
    constructor(status, code, message) {
        super(`lobby: ${code}: ${message}`);
        this.status = status;
        this.code = code;
        this.name = "LobbyError";
    }
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
    constructor(opts = {}) {
        this.base = (opts.baseUrl ?? "").replace(/\/+$/, "");
        this.token = opts.token;
        this.fetchFn = opts.fetch ?? ((input, init) => fetch(input, init));
    }
    /** guest creates a guest identity (POST /lobby/guest) and keeps its token. */
    async guest(name) {
        const r = await this.call("POST", "/lobby/guest", { name }, false);
        this.token = r.token;
        this.playerId = r.player_id;
        return r;
    }
    /** games lists the games the server hosts (GET /lobby/games). */
    async games() {
        return (await this.call("GET", "/lobby/games")).games;
    }
    /** rooms lists the public rooms of game (GET /lobby/rooms?game=). */
    async rooms(game) {
        return (await this.call("GET", `/lobby/rooms?game=${encodeURIComponent(game)}`)).rooms;
    }
    /** createRoom creates a room and returns its id, join code and a seat in it (POST /lobby/rooms). */
    createRoom(req) {
        return this.call("POST", "/lobby/rooms", req);
    }
    /** join gets a seat in a room by id, by join code, or by quick join (POST /lobby/join). */
    join(req) {
        return this.call("POST", "/lobby/join", req);
    }
    /** createTicket starts matchmaking (POST /lobby/tickets) and returns the ticket id; poll ticket() about once a second. */
    async createTicket(req) {
        return (await this.call("POST", "/lobby/tickets", req)).ticket_id;
    }
    /** ticket reads a ticket's state (GET /lobby/tickets/ID). */
    ticket(id) {
        return this.call("GET", `/lobby/tickets/${encodeURIComponent(id)}`);
    }
    /** cancelTicket cancels matchmaking (DELETE /lobby/tickets/ID) and returns the cancelled ticket. */
    cancelTicket(id) {
        return this.call("DELETE", `/lobby/tickets/${encodeURIComponent(id)}`);
    }
    /** call makes one JSON request and decodes the reply or the API's error. */
    async call(method, path, body, auth = true) {
        const headers = { Accept: "application/json" };
        if (body !== undefined)
            headers["Content-Type"] = "application/json";
        if (auth && this.token !== undefined)
            headers["Authorization"] = `Bearer ${this.token}`;
        const res = await this.fetchFn(this.base + path, {
            method,
            headers,
            body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        let json;
        try {
            json = text === "" ? {} : JSON.parse(text);
        }
        catch {
            json = undefined;
        }
        if (!res.ok) {
            const e = json?.error;
            throw new LobbyError(res.status, e?.code ?? "http_" + res.status, e?.message ?? text.slice(0, 200));
        }
        if (json === undefined) {
            throw new LobbyError(res.status, "bad_response", `${method} ${path}: not JSON`);
        }
        return json;
    }
}
