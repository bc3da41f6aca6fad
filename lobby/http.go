package lobby

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// Handler returns the lobby's HTTP JSON API, to be mounted at "/lobby/"
// (its routes carry the full paths):
//
//	POST   /lobby/guest         {"name"}                        → {"player_id","token"}
//	GET    /lobby/games                                         → {"games":[{"name","min_players","max_players","tick_hz"}]}
//	GET    /lobby/rooms?game=NAME                               → {"rooms":[{"id","game","players","max_players","private","joinable"}]}
//	POST   /lobby/rooms         {"game","private","max_players"} → {"room_id","join_code","seat"}
//	POST   /lobby/join          {"room_id"} | {"join_code"} | {"game","quick":true} → {"room_id","seat"}
//	POST   /lobby/tickets       {"game","skill","party","region","mode"} → {"ticket_id"}
//	GET    /lobby/tickets/ID                                    → {"ticket_id","game","status","room_id","seat"}
//	DELETE /lobby/tickets/ID                                    → the same, status "cancelled"
//
// Bodies are the protobuf messages of the WebSocket face in protojson
// with the .proto field names (CreateRoom, LobbyJoin, CreateTicket in;
// GameInfo, RoomListing, Grant, Ticket out): every field of a reply is
// present, zero values included ("private": false, "players": 0), except
// a Grant's or a Ticket's "url" (set in a cluster, for a room on another
// node) and a Grant's "join_code" (set for a room just created), which
// are left out when empty. Unknown request fields are ignored.
//
// Every request but POST /lobby/guest needs "Authorization: Bearer TOKEN".
// Errors are {"error":{"code","message"}} with the code's short name
// (protocol.CodeName) and a fitting status: 400 bad request or malformed
// JSON, 401 token, 404 unknown game, room, join code or ticket, 405 method,
// 409 full room or a player already queued or in a room, 413 body too
// large, 503 shutting down or out of capacity.
func (l *Lobby) Handler() http.Handler {
	mux := http.NewServeMux()
	l.route(mux, "guest", "/lobby/guest", false, map[string]apiFunc{http.MethodPost: l.httpGuest})
	l.route(mux, "games", "/lobby/games", true, map[string]apiFunc{http.MethodGet: l.httpGames})
	l.route(mux, "rooms", "/lobby/rooms", true, map[string]apiFunc{http.MethodGet: l.httpListRooms, http.MethodPost: l.httpCreateRoom})
	l.route(mux, "join", "/lobby/join", true, map[string]apiFunc{http.MethodPost: l.httpJoin})
	l.route(mux, "tickets", "/lobby/tickets", true, map[string]apiFunc{http.MethodPost: l.httpCreateTicket})
	l.route(mux, "ticket", "/lobby/tickets/{id}", true, map[string]apiFunc{http.MethodGet: l.httpTicket, http.MethodDelete: l.httpCancelTicket})
	mux.HandleFunc("/lobby/", func(w http.ResponseWriter, r *http.Request) {
		l.m.requests.WithLabelValues("unknown", "404").Inc()
		writeError(w, http.StatusNotFound, fail(ErrBadRequest, "no lobby route %s", r.URL.Path))
	})
	return mux
}

// apiFunc serves one route and method for an authenticated player (empty
// for POST /lobby/guest) and returns the response body.
type apiFunc func(w http.ResponseWriter, r *http.Request, player string) (any, error)

func (l *Lobby) route(mux *http.ServeMux, name, pattern string, auth bool, methods map[string]apiFunc) {
	allow := strings.Join(slices.Sorted(func(yield func(string) bool) {
		for m := range methods {
			if !yield(m) {
				return
			}
		}
	}), ", ")
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		status, err := l.serveHTTP(w, r, auth, methods, allow)
		if err != nil {
			if status == 0 {
				status = httpStatus(err)
			}
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				status, err = http.StatusRequestEntityTooLarge, fail(ErrBadRequest, "request body is larger than %d bytes", l.opts.MaxBodyBytes)
			}
			switch status {
			case http.StatusMethodNotAllowed:
				w.Header().Set("Allow", allow)
			case http.StatusUnauthorized:
				w.Header().Set("WWW-Authenticate", `Bearer realm="tickwire"`)
			case http.StatusInternalServerError:
				l.log.Error().Err(err).Str("route", name).Msg("lobby request failed")
			}
			writeError(w, status, err)
		}
		l.m.requests.WithLabelValues(name, strconv.Itoa(status)).Inc()
	})
}

func (l *Lobby) serveHTTP(w http.ResponseWriter, r *http.Request, auth bool, methods map[string]apiFunc, allow string) (int, error) {
	fn, ok := methods[r.Method]
	if !ok {
		return http.StatusMethodNotAllowed, fail(ErrBadRequest, "method %s not allowed; use %s", r.Method, allow)
	}
	var player string
	if auth {
		token, ok := bearer(r)
		if !ok {
			return 0, fail(ErrUnauthenticated, "missing Authorization: Bearer token")
		}
		p, err := l.Authenticate(token)
		if err != nil {
			return 0, err
		}
		player = p
	}
	out, err := fn(w, r, player)
	if err != nil {
		return 0, err
	}
	writeJSON(w, http.StatusOK, out)
	return http.StatusOK, nil
}

func bearer(r *http.Request) (string, bool) {
	a := r.Header.Get("Authorization")
	if len(a) < 7 || !strings.EqualFold(a[:7], "bearer ") {
		return "", false
	}
	t := strings.TrimSpace(a[7:])
	return t, t != ""
}

// decode reads the request body, at most Options.MaxBodyBytes, as one
// JSON object into v: a protobuf message (protojson, unknown fields
// ignored) or, for the guest route, a Go struct.
func (l *Lobby) decode(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, l.opts.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return err
		}
		return fail(ErrBadRequest, "read body: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return fail(ErrBadRequest, "request body is empty: want a JSON object")
	}
	if m, ok := v.(proto.Message); ok {
		if err := requestJSON.Unmarshal(body, m); err != nil {
			return fail(ErrBadRequest, "malformed JSON: %v", err)
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return fail(ErrBadRequest, "malformed JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fail(ErrBadRequest, "malformed JSON: more than one value in the body")
	}
	return nil
}

// requestJSON reads request bodies: unknown fields are ignored, as the
// API always did (a newer client may send more).
var requestJSON = protojson.UnmarshalOptions{DiscardUnknown: true}

// replyJSON writes reply bodies with the .proto field names (the API's
// snake_case) and every field present, zero values included: the API's
// documented fields ("private": false, "players": 0) never go missing.
// None of the lobby's messages has a 64-bit integer, which protojson
// would write as a string.
var replyJSON = protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}

// omitEmpty are the fields of a message left out of a reply when they are
// the empty string, as the API always did: the cluster-only url, and a
// Grant's join_code (only a room just created has one to share).
var omitEmpty = map[protoreflect.FullName][]string{
	(&tickwirev1.Grant{}).ProtoReflect().Descriptor().FullName():  {"url", "join_code"},
	(&tickwirev1.Ticket{}).ProtoReflect().Descriptor().FullName(): {"url"},
}

// marshalReply encodes m as a reply body: replyJSON, less m's omitEmpty
// fields when empty, compacted. (protojson's own output varies its
// spacing from build to build on purpose; replies are byte-stable.)
func marshalReply(m proto.Message) ([]byte, error) {
	b, err := replyJSON.Marshal(m)
	if err != nil {
		return nil, err
	}
	omit := omitEmpty[m.ProtoReflect().Descriptor().FullName()]
	if len(omit) == 0 {
		var out bytes.Buffer
		if err := json.Compact(&out, b); err != nil {
			return nil, err
		}
		return out.Bytes(), nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	for _, name := range omit {
		if string(fields[name]) == `""` {
			delete(fields, name)
		}
	}
	return json.Marshal(fields) // sorted keys, compact
}

// list is a reply made of one JSON array of messages under key, such as
// {"games":[...]}.
type list[M proto.Message] struct {
	key   string
	items []M
}

func (ls list[M]) MarshalJSON() ([]byte, error) {
	b := append(strconv.AppendQuote([]byte{'{'}, ls.key), ':', '[')
	for i, m := range ls.items {
		if i > 0 {
			b = append(b, ',')
		}
		mb, err := marshalReply(m)
		if err != nil {
			return nil, err
		}
		b = append(b, mb...)
	}
	return append(b, ']', '}'), nil
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, err error) {
	pe := protocol.AsError(err)
	var body errorBody
	body.Error.Code, body.Error.Message = protocol.CodeName(pe.Code), pe.Msg
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var b []byte
	var err error
	if m, ok := v.(proto.Message); ok {
		b, err = marshalReply(m)
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"cannot encode the response"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func (l *Lobby) httpGuest(w http.ResponseWriter, r *http.Request, _ string) (any, error) {
	var req struct {
		Name string `json:"name"`
	}
	if err := l.decode(w, r, &req); err != nil {
		return nil, err
	}
	return l.CreateGuest(r.Context(), req.Name)
}

func (l *Lobby) httpGames(_ http.ResponseWriter, _ *http.Request, _ string) (any, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	return list[*tickwirev1.GameInfo]{"games", l.Games()}, nil
}

func (l *Lobby) httpListRooms(_ http.ResponseWriter, r *http.Request, _ string) (any, error) {
	rooms, err := l.ListRooms(r.Context(), r.URL.Query().Get("game"))
	if err != nil {
		return nil, err
	}
	return list[*tickwirev1.RoomListing]{"rooms", rooms}, nil
}

func (l *Lobby) httpCreateRoom(w http.ResponseWriter, r *http.Request, player string) (any, error) {
	req := &tickwirev1.CreateRoom{}
	if err := l.decode(w, r, req); err != nil {
		return nil, err
	}
	return l.CreateRoom(r.Context(), player, req)
}

func (l *Lobby) httpJoin(w http.ResponseWriter, r *http.Request, player string) (any, error) {
	req := &tickwirev1.LobbyJoin{}
	if err := l.decode(w, r, req); err != nil {
		return nil, err
	}
	return l.Join(r.Context(), player, req)
}

func (l *Lobby) httpCreateTicket(w http.ResponseWriter, r *http.Request, player string) (any, error) {
	req := &tickwirev1.CreateTicket{}
	if err := l.decode(w, r, req); err != nil {
		return nil, err
	}
	id, err := l.CreateTicket(r.Context(), player, req)
	if err != nil {
		return nil, err
	}
	return struct {
		TicketID string `json:"ticket_id"`
	}{id}, nil
}

func (l *Lobby) httpTicket(_ http.ResponseWriter, r *http.Request, player string) (any, error) {
	return l.Ticket(r.Context(), player, r.PathValue("id"))
}

func (l *Lobby) httpCancelTicket(_ http.ResponseWriter, r *http.Request, player string) (any, error) {
	return l.CancelTicket(r.Context(), player, r.PathValue("id"))
}
