package admin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
)

// MaxStateJSON caps the state GET /admin/api/rooms/{id} and the page's
// event stream carry: a bigger state is reported by its size only
// ("state_truncated": true), so a huge world cannot stall the admin port.
const MaxStateJSON = 1 << 20

// inspectTimeout bounds waiting for a room's next tick (a 1 Hz room takes
// up to a second).
const inspectTimeout = 3 * time.Second

var stateJSON = protojson.MarshalOptions{UseProtoNames: true}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError writes the lobby's error shape: {"error":{"code","message"}}.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}

// writeTickError maps an error of tick to a status and the wire code name.
func writeTickError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, tick.ErrRoomNotFound), errors.Is(err, tick.ErrNotInRoom):
		status = http.StatusNotFound
	case errors.Is(err, context.DeadlineExceeded):
		status = http.StatusGatewayTimeout
		writeError(w, status, "timeout", err.Error())
		return
	}
	writeError(w, status, protocol.CodeName(protocol.AsError(err).Code), err.Error())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
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

// readBody decodes a small JSON body into v; an empty body leaves v as is.
func readBody(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil || len(b) == 0 {
		return err
	}
	return json.Unmarshal(b, v)
}

// roomJSON is one room of GET /admin/api/rooms and of the page.
type roomJSON struct {
	ID         string    `json:"id"`
	Game       string    `json:"game"`
	Node       string    `json:"node"`
	Players    int       `json:"players"`
	MaxPlayers int       `json:"max_players"`
	TickHz     int       `json:"tick_hz"`
	Created    time.Time `json:"created"`
	Ticks      uint64    `json:"ticks"`
	// Over the sampler's last few seconds:
	TickMS     quantiles `json:"tick_ms"`
	Overruns   uint64    `json:"overruns"` // since the room started
	InputsPerS float64   `json:"inputs_per_s"`
}

type quantiles struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// serveRooms is GET /admin/api/rooms[?game=NAME].
func (a *Admin) serveRooms(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"node": a.opts.Node, "rooms": a.sampler.rooms(r.URL.Query().Get("game"))})
}

// roomDetail is GET /admin/api/rooms/{id}.
type roomDetail struct {
	roomJSON
	Tick           uint64          `json:"tick"`
	StateType      string          `json:"state_type"`
	State          json.RawMessage `json:"state"`
	StateBytes     int             `json:"state_bytes"`
	StateTruncated bool            `json:"state_truncated,omitempty"`
	PlayerList     []playerJSON    `json:"player_list"`
}

type playerJSON struct {
	ID           string `json:"id"`
	LastInputSeq uint64 `json:"last_input_seq"`
	Detached     bool   `json:"detached"`
	// RTTMS is null while the server does not measure round trips.
	RTTMS *float64 `json:"rtt_ms"`
}

func (a *Admin) serveRoom(w http.ResponseWriter, r *http.Request) {
	d, err := a.inspect(r.Context(), r.PathValue("id"))
	if err != nil {
		writeTickError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// inspect reads room id on its goroutine and renders its state as JSON.
func (a *Admin) inspect(ctx context.Context, id string) (*roomDetail, error) {
	h, err := a.opts.Rooms.Get(id)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, inspectTimeout)
	defer cancel()
	v, err := h.Inspect(ctx)
	if err != nil {
		return nil, err
	}
	d := &roomDetail{roomJSON: a.sampler.room(h), Tick: v.Tick, StateType: h.GameInfo().StateType}
	d.Players = v.Info.Players
	b, err := stateJSON.Marshal(v.State)
	if err != nil {
		return nil, err
	}
	d.StateBytes = len(b)
	if len(b) > MaxStateJSON {
		d.State, d.StateTruncated = json.RawMessage("null"), true
	} else {
		d.State = b
	}
	d.PlayerList = make([]playerJSON, len(v.Players))
	for i, p := range v.Players {
		pj := playerJSON{ID: string(p.ID), LastInputSeq: p.LastInputSeq, Detached: p.Detached}
		if p.RTT > 0 {
			rtt := ms(p.RTT)
			pj.RTTMS = &rtt
		}
		d.PlayerList[i] = pj
	}
	return d, nil
}

// serveKick is POST /admin/api/rooms/{id}/kick {"player","reason"}.
func (a *Admin) serveKick(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Player string `json:"player"`
		Reason string `json:"reason"`
	}
	if err := readBody(r, &req); err != nil || req.Player == "" {
		writeError(w, http.StatusBadRequest, "bad_request", `want {"player":"ID","reason":"..."}`)
		return
	}
	id := r.PathValue("id")
	h, err := a.opts.Rooms.Get(id)
	if err != nil {
		writeTickError(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), inspectTimeout)
	defer cancel()
	if err := h.Kick(ctx, tick.PlayerID(req.Player), req.Reason); err != nil {
		writeTickError(w, err)
		return
	}
	a.log.Info().Str("room", id).Str("player", req.Player).Str("reason", req.Reason).Str("remote", r.RemoteAddr).Msg("admin kicked a player")
	writeJSON(w, http.StatusOK, map[string]string{"room_id": id, "kicked": req.Player})
}

// serveClose is POST /admin/api/rooms/{id}/close.
func (a *Admin) serveClose(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	h, err := a.opts.Rooms.Get(id)
	if err != nil {
		writeTickError(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), inspectTimeout)
	defer cancel()
	if err := h.Close(ctx); err != nil {
		writeTickError(w, err)
		return
	}
	a.log.Info().Str("room", id).Str("remote", r.RemoteAddr).Msg("admin closed a room")
	writeJSON(w, http.StatusOK, map[string]string{"room_id": id, "closed": "room closed"})
}

// serveDrain is POST /admin/api/drain: it starts Options.Drain and
// answers 202 at once; the node's overview then says "draining".
func (a *Admin) serveDrain(w http.ResponseWriter, r *http.Request) {
	if a.opts.Drain == nil {
		writeError(w, http.StatusNotImplemented, "unsupported", "this node has no drain (Options.Drain)")
		return
	}
	a.drainMu.Lock()
	already := a.draining
	a.draining = true
	a.drainMu.Unlock()
	if already {
		writeError(w, http.StatusConflict, "already_draining", "the node is draining already")
		return
	}
	a.log.Warn().Str("remote", r.RemoteAddr).Msg("admin drains the node")
	a.wg.Go(func() {
		err := a.opts.Drain(a.ctx)
		a.drainMu.Lock()
		a.drainErr = err
		a.drainMu.Unlock()
		if err != nil {
			a.log.Error().Err(err).Msg("drain failed")
		} else {
			a.log.Info().Msg("drain done")
		}
	})
	writeJSON(w, http.StatusAccepted, map[string]any{"node": a.opts.Node, "draining": true})
}

func (a *Admin) drainState() (bool, string) {
	a.drainMu.Lock()
	defer a.drainMu.Unlock()
	if a.drainErr != nil {
		return a.draining, a.drainErr.Error()
	}
	return a.draining, ""
}

// serveSessions is GET /admin/api/sessions.
func (a *Admin) serveSessions(w http.ResponseWriter, _ *http.Request) {
	c := a.sampler.counts()
	out := map[string]any{
		"node":          a.opts.Node,
		"sessions":      c.Sessions,
		"channels":      c.Channels,
		"subscriptions": c.Subscriptions,
		"players":       c.Players,
	}
	if a.opts.Sessions != nil {
		out["list"] = a.opts.Sessions.Sessions()
	}
	writeJSON(w, http.StatusOK, out)
}

// serveNode is GET /admin/api/node: the overview the page's stream sends.
func (a *Admin) serveNode(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, a.overview(false))
}
