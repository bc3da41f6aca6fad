package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tickwire/tickwire/tick"
)

// MaxRoomsStreamed caps the rooms each event of the page's stream lists
// (the busiest first); GET /admin/api/rooms lists them all.
const MaxRoomsStreamed = 500

// DefaultTicksWindow is the window of GET /debug/ticks without ?window=.
const DefaultTicksWindow = 10 * time.Second

// serveTicks is GET /debug/ticks[?window=10s]: the ticks of every room
// over the window, in the public /debug/ticks shape, without resetting
// anything (the public route's reset-on-read stays the bench's).
func (a *Admin) serveTicks(w http.ResponseWriter, r *http.Request) {
	win := DefaultTicksWindow
	if q := r.URL.Query().Get("window"); q != "" {
		d, err := time.ParseDuration(q)
		if err != nil || d <= 0 || d > a.opts.History {
			writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("window %q: want a duration such as 10s, at most %v", q, a.opts.History))
			return
		}
		win = d
	}
	s, n := a.sampler.window(win)
	writeJSON(w, http.StatusOK, map[string]any{
		"window_s":  s.Span.Seconds(),
		"samples":   n,
		"rooms":     a.opts.Rooms.Len(),
		"ticks":     s.Ticks,
		"overruns":  s.Overruns,
		"skipped":   s.Skipped,
		"inputs":    s.Inputs,
		"tick_ms":   quantiles{P50: ms(s.Duration.Quantile(0.5)), P99: ms(s.Duration.Quantile(0.99)), Max: ms(s.Duration.Max())},
		"jitter_ms": quantiles{P50: ms(s.Jitter.Quantile(0.5)), P99: ms(s.Jitter.Quantile(0.99)), Max: ms(s.Jitter.Max())},
	})
}

// overviewJSON is the node as the page shows it: GET /admin/api/node and
// the "overview" event of the stream.
type overviewJSON struct {
	Node       string     `json:"node"`
	Time       time.Time  `json:"time"`
	Draining   bool       `json:"draining"`
	DrainError string     `json:"drain_error,omitempty"`
	Rooms      []roomJSON `json:"rooms"`
	RoomsTotal int        `json:"rooms_total"`
	counts
	TicksPerS    float64    `json:"ticks_per_s"`
	InputsPerS   float64    `json:"inputs_per_s"`
	BytesOutPerS float64    `json:"bytes_out_per_s"`
	TickMS       quantiles  `json:"tick_ms"`
	Series       *series    `json:"series,omitempty"`
	Peers        []peerJSON `json:"peers,omitempty"`
}

// series are the charts: one point per sample, oldest first.
type series struct {
	T            []int64   `json:"t"` // unix milliseconds
	Players      []int     `json:"players"`
	Rooms        []int     `json:"rooms"`
	TickP50MS    []float64 `json:"tick_p50_ms"`
	TickP99MS    []float64 `json:"tick_p99_ms"`
	BytesOutPerS []float64 `json:"bytes_out_per_s"`
	InputsPerS   []float64 `json:"inputs_per_s"`
}

func (a *Admin) overview(withSeries bool) overviewJSON {
	o := overviewJSON{Node: a.opts.Node, Time: time.Now(), counts: a.sampler.counts()}
	o.Draining, o.DrainError = a.drainState()
	rooms := a.sampler.rooms("")
	o.RoomsTotal = len(rooms)
	if len(rooms) > MaxRoomsStreamed {
		slices.SortStableFunc(rooms, func(x, y roomJSON) int { return y.Players - x.Players })
		rooms = rooms[:MaxRoomsStreamed]
	}
	o.Rooms = rooms
	n := int(a.opts.History / a.opts.SampleEvery)
	if !withSeries {
		n = 1
	}
	ss := a.sampler.samples(n)
	if len(ss) > 0 {
		last := ss[len(ss)-1]
		if sec := last.Span.Seconds(); sec > 0 {
			o.TicksPerS = float64(last.Ticks) / sec
			o.InputsPerS = float64(last.Inputs) / sec
			o.BytesOutPerS = last.BytesOut / sec
		}
		o.TickMS = quantiles{P50: ms(last.Duration.Quantile(0.5)), P99: ms(last.Duration.Quantile(0.99)), Max: ms(last.Duration.Max())}
	}
	if withSeries {
		sr := &series{}
		for _, x := range ss {
			sec := max(x.Span.Seconds(), 1e-3)
			sr.T = append(sr.T, x.At.UnixMilli())
			sr.Players = append(sr.Players, x.Players)
			sr.Rooms = append(sr.Rooms, x.Rooms)
			sr.TickP50MS = append(sr.TickP50MS, ms(x.Duration.Quantile(0.5)))
			sr.TickP99MS = append(sr.TickP99MS, ms(x.Duration.Quantile(0.99)))
			sr.BytesOutPerS = append(sr.BytesOutPerS, x.BytesOut/sec)
			sr.InputsPerS = append(sr.InputsPerS, float64(x.Inputs)/sec)
		}
		o.Series = sr
	}
	o.Peers = a.peers.get()
	return o
}

// serveEvents is GET /admin/api/events[?room=ID]: a server-sent event
// stream with an "overview" event after every sample and, with room, a
// "room" event carrying its state and players (or "room_gone" once, with
// the error shape, when it ends). It ends when the client goes or the
// Admin closes.
func (a *Admin) serveEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "internal", "streaming unsupported")
		return
	}
	roomID := r.URL.Query().Get("room")
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ctx := r.Context()
	// Long-lived streams outlive no write deadline of the listener's.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	send := func(event string, v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			return false
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return false
		}
		fl.Flush()
		return true
	}
	gone := false
	for {
		next := a.sampler.nextSample()
		if !send("overview", a.overview(true)) {
			return
		}
		if roomID != "" && !gone {
			d, err := a.inspect(ctx, roomID)
			switch {
			case err == nil:
				if !send("room", d) {
					return
				}
			case errors.Is(err, tick.ErrRoomNotFound):
				var b errorBody
				b.Error.Code, b.Error.Message = "room_not_found", err.Error()
				gone = true
				if !send("room_gone", b) {
					return
				}
			case ctx.Err() != nil:
				return
			}
		}
		select {
		case <-next:
		case <-ctx.Done():
			return
		case <-a.ctx.Done():
			return
		}
	}
}

// peerJSON is another node's rooms as its admin API answered them.
type peerJSON struct {
	Node  string     `json:"node"`
	URL   string     `json:"url"`
	Error string     `json:"error,omitempty"`
	Rooms []roomJSON `json:"rooms"`
}

// peerCache holds the latest answers of the cluster's other nodes.
type peerCache struct {
	mu    sync.Mutex
	peers []peerJSON
}

func (c *peerCache) get() []peerJSON {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peers
}

// pollPeers asks every peer's GET /admin/api/rooms after each sample.
func (a *Admin) pollPeers(ctx context.Context) {
	for {
		next := a.sampler.nextSample()
		select {
		case <-ctx.Done():
			return
		case <-next:
		}
		peers := a.opts.Peers()
		out := make([]peerJSON, len(peers))
		var wg sync.WaitGroup
		for i, p := range peers {
			wg.Go(func() { out[i] = a.fetchPeer(ctx, p) })
		}
		wg.Wait()
		a.peers.mu.Lock()
		a.peers.peers = out
		a.peers.mu.Unlock()
	}
}

func (a *Admin) fetchPeer(ctx context.Context, p Peer) peerJSON {
	out := peerJSON{Node: p.Name, URL: p.URL, Rooms: []roomJSON{}}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/admin/api/rooms", nil)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	req.Header.Set("Authorization", "Bearer "+a.opts.Token)
	resp, err := a.client.Do(req)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		out.Error = "HTTP " + strconv.Itoa(resp.StatusCode)
		return out
	}
	var body struct {
		Rooms []roomJSON `json:"rooms"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		out.Error = err.Error()
		return out
	}
	out.Rooms = body.Rooms
	return out
}

// servePeer is /admin/api/peers/{node}/{path...}: the call
// /admin/api/{path...} on another node of the cluster, made with this
// node's token (the cluster shares one), so the page can inspect, kick
// and close on every node from one origin. The event stream is not
// forwarded.
func (a *Admin) servePeer(w http.ResponseWriter, r *http.Request) {
	name, path := r.PathValue("node"), r.PathValue("path")
	var peer *Peer
	if a.opts.Peers != nil {
		for _, p := range a.opts.Peers() {
			if p.Name == name {
				peer = &p
				break
			}
		}
	}
	switch {
	case peer == nil:
		writeError(w, http.StatusNotFound, "node_not_found", "no peer node "+strconv.Quote(name))
		return
	case path == "events" || strings.HasPrefix(path, "peers/"):
		writeError(w, http.StatusBadRequest, "bad_request", "not forwarded: /admin/api/"+path)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, peer.URL+"/admin/api/"+path, bytes.NewReader(body))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	req.URL.RawQuery = r.URL.RawQuery
	req.Header.Set("Authorization", "Bearer "+a.opts.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		writeError(w, http.StatusBadGateway, "node_unreachable", fmt.Sprintf("node %s: %v", name, err))
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, io.LimitReader(resp.Body, 2*MaxStateJSON))
	if r.Method != http.MethodGet {
		a.log.Info().Str("node", name).Str("method", r.Method).Str("path", "/admin/api/"+path).Int("status", resp.StatusCode).Str("remote", r.RemoteAddr).Msg("admin forwarded a call to a peer")
	}
}
