package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/lesismal/nbio/nbhttp"
	"github.com/lesismal/nbio/nbhttp/websocket"
	"github.com/rs/zerolog"
	"github.com/tickwire/tickwire/server"
)

// The floor's wire format: binary WebSocket messages, a kind byte, then a
// little-endian uint64, then padding up to the message's size. No
// protobuf on either side.
const (
	floorInput = 'I' // client → server: the input seq
	floorPing  = 'P' // client → server, echoed back as is: the client's clock
	floorState = 'S' // server → client each tick: the receiver's last input seq
	floorHead  = 9   // kind byte + uint64
)

// floorPath is the bare server's WebSocket endpoint. Its query says what
// the connection gets: ?group=G&hz=H&bytes=N (a state message of N bytes
// H times a second, written by group G's ticker).
const floorPath = "/floor"

// floorCatchUp is how many overdue ticks a group runs back to back before
// it skips deadlines, as a Tickwire room does.
const floorCatchUp = 2

// floorServer is the floor scenario's server: a bare nbio WebSocket server
// with the nbio configuration Tickwire's server uses, and nothing of
// Tickwire: no sessions, rooms, protobuf, rate limits or metrics. Each
// connection's inputs only update its last seq; a ticker goroutine per
// group (the floor's stand-in for a room) writes every member one state
// message per tick, the way a Tickwire room broadcasts its frame. It is
// what the same sockets at the same rates cost.
//
// Goroutines: one ticker per group, started when the group's first client
// connects and stopped, like the engine, when serve's context ends.
type floorServer struct {
	ctx   context.Context
	wg    sync.WaitGroup
	stats tickStats

	mu     sync.Mutex
	groups map[int]*floorGroup
}

// floorGroup is a set of connections broadcast to together.
type floorGroup struct {
	period time.Duration
	frame  []byte // the state message; bytes 1..8 are rewritten per receiver

	mu    sync.Mutex
	conns []*floorConn
}

// floorConn is one client of the bare server.
type floorConn struct {
	ws    *websocket.Conn
	group *floorGroup
	last  atomic.Uint64 // the highest input seq received
}

// serveFloor runs the bare server on addr until ctx ends; it logs the
// "url" line the parent waits for.
func serveFloor(ctx context.Context, addr string, pollers int, log zerolog.Logger) error {
	fs := &floorServer{ctx: ctx, groups: map[int]*floorGroup{}, stats: newTickStats()}
	u := websocket.NewUpgrader()
	u.CheckOrigin = func(*http.Request) bool { return true }
	u.KeepaliveTime = 0 // no read deadline per message: sockets alone
	u.OnMessage(fs.onMessage)
	u.OnClose(func(c *websocket.Conn, _ error) {
		if fc, ok := c.Session().(*floorConn); ok {
			fc.group.remove(fc)
		}
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+floorPath, func(w http.ResponseWriter, r *http.Request) { fs.upgrade(u, w, r) })
	mux.HandleFunc("GET /debug/ticks", fs.serveTicks)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })

	if pollers <= 0 {
		pollers = server.DefaultPollers() // server.Options' default
	}
	var bound atomic.Value
	eng := nbhttp.NewEngine(nbhttp.Config{
		Name:                    "bench-floor",
		Addrs:                   []string{addr},
		Handler:                 mux,
		NPoller:                 pollers,
		MaxWriteBufferSize:      4 << 20, // server.Options' default
		ReleaseWebsocketPayload: true,
		MaxLoad:                 1 << 20,
		Listen: func(network, addr string) (net.Listener, error) {
			ln, err := net.Listen(network, addr)
			if err == nil {
				bound.Store(ln.Addr().String())
			}
			return ln, err
		},
	})
	u.Engine = eng
	if err := eng.Start(); err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	log.Info().Str("url", "http://"+bound.Load().(string)+"/").Int("pollers", pollers).Msg("bench floor server ready (bare nbio WebSocket)")
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := eng.Shutdown(sctx)
	fs.wg.Wait() // the tickers end with ctx
	return err
}

// upgrade accepts a client into the group its query names.
func (fs *floorServer) upgrade(u *websocket.Upgrader, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	group, err1 := strconv.Atoi(q.Get("group"))
	hz, err2 := strconv.Atoi(q.Get("hz"))
	size, err3 := strconv.Atoi(q.Get("bytes"))
	if err1 != nil || err2 != nil || err3 != nil || group < 0 || hz < 1 || hz > 1000 || size < floorHead || size > 1<<20 {
		http.Error(w, "want ?group=G&hz=1..1000&bytes=9..1048576", http.StatusBadRequest)
		return
	}
	g := fs.group(group, hz, size)
	ws, err := u.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	fc := &floorConn{ws: ws, group: g}
	ws.SetSession(fc)
	g.add(fc)
}

// group returns group id, starting its ticker the first time.
func (fs *floorServer) group(id, hz, size int) *floorGroup {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if g, ok := fs.groups[id]; ok {
		return g
	}
	g := &floorGroup{period: time.Second / time.Duration(hz), frame: make([]byte, size)}
	g.frame[0] = floorState
	for i := floorHead; i < size; i++ {
		g.frame[i] = byte(i * 7) // not all zeros; no compression is negotiated anyway
	}
	fs.groups[id] = g
	fs.wg.Go(func() { g.loop(fs.ctx, &fs.stats) })
	return g
}

func (fs *floorServer) onMessage(c *websocket.Conn, mt websocket.MessageType, data []byte) {
	fc, ok := c.Session().(*floorConn)
	if !ok || len(data) < floorHead {
		return
	}
	switch data[0] {
	case floorInput:
		fc.last.Store(binary.LittleEndian.Uint64(data[1:floorHead]))
	case floorPing:
		_ = c.WriteMessage(mt, data) // the pong: the ping echoed
	}
}

func (g *floorGroup) add(fc *floorConn) {
	g.mu.Lock()
	g.conns = append(g.conns, fc)
	g.mu.Unlock()
}

func (g *floorGroup) remove(fc *floorConn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, c := range g.conns {
		if c == fc {
			last := len(g.conns) - 1
			g.conns[i], g.conns[last] = g.conns[last], nil
			g.conns = g.conns[:last]
			return
		}
	}
}

// loop ticks at the group's rate from a random phase (as Tickwire's rooms
// start) until ctx ends, with the rooms' catch-up and skip policy.
func (g *floorGroup) loop(ctx context.Context, st *tickStats) {
	due := time.Now().Add(rand.N(g.period))
	timer := time.NewTimer(time.Until(due))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		start := time.Now()
		if start.Before(due) {
			timer.Reset(due.Sub(start))
			continue
		}
		var skipped uint64
		if behind := int64(start.Sub(due) / g.period); behind > floorCatchUp {
			skipped = uint64(behind - floorCatchUp)
			due = due.Add(time.Duration(skipped) * g.period)
		}
		g.broadcast()
		d := time.Since(start)
		st.observe(d, start.Sub(due), d > g.period, skipped)
		due = due.Add(g.period)
		timer.Reset(max(time.Until(due), 0))
	}
}

// broadcast writes every member the state message with its own last seq.
// nbio copies the message into the connection's buffer (or the socket)
// before WriteMessage returns, so one buffer serves everyone.
func (g *floorGroup) broadcast() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, fc := range g.conns {
		binary.LittleEndian.PutUint64(g.frame[1:floorHead], fc.last.Load())
		_ = fc.ws.WriteMessage(websocket.BinaryMessage, g.frame) // a dead one leaves through OnClose
	}
}

// tickStats are the floor's ticks since the last GET /debug/ticks, in the
// shape of Tickwire's gateway.TickStatsHandler.
type tickStats struct {
	mu       sync.Mutex
	duration *hdrhistogram.Histogram // µs
	jitter   *hdrhistogram.Histogram // µs
	ticks    uint64
	overruns uint64
	skipped  uint64
}

func newTickStats() tickStats { return tickStats{duration: newHist(), jitter: newHist()} }

func (s *tickStats) observe(d, jitter time.Duration, overrun bool, skipped uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	recordNS(s.duration, int64(d))
	recordNS(s.jitter, int64(jitter))
	s.ticks++
	s.skipped += skipped
	if overrun {
		s.overruns++
	}
}

// serveTicks answers GET /debug/ticks and starts a new interval.
func (fs *floorServer) serveTicks(w http.ResponseWriter, _ *http.Request) {
	fs.mu.Lock()
	groups := len(fs.groups)
	fs.mu.Unlock()
	s := &fs.stats
	s.mu.Lock()
	ms := func(h *hdrhistogram.Histogram, q float64) float64 { return float64(h.ValueAtQuantile(q)) / 1000 }
	body := map[string]any{
		"rooms": groups, "ticks": s.ticks, "overruns": s.overruns, "skipped": s.skipped,
		"tick_ms":   map[string]float64{"p50": ms(s.duration, 50), "p99": ms(s.duration, 99), "max": float64(s.duration.Max()) / 1000},
		"jitter_ms": map[string]float64{"p50": ms(s.jitter, 50), "p99": ms(s.jitter, 99), "max": float64(s.jitter.Max()) / 1000},
	}
	s.duration.Reset()
	s.jitter.Reset()
	s.ticks, s.overruns, s.skipped = 0, 0, 0
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}
