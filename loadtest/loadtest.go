// Package loadtest load-tests a Tickwire game server with bots written
// against the game's own messages: a game module writes a Bot (how a
// player joins, what it sends as input seq N, what it does with the state
// it sees) and Run drives a fleet of them against its server with the
// bench's measuring: an open-loop input schedule (inputs due at fixed
// times, latency counted from the due time, so a stall is not hidden by
// coordinated omission), HdrHistograms of input-to-state latency, a
// progress line a second, and a JSON report with the bench's contract keys
// (clients, rooms, tick_hz, latency_ms, tick_ms, jitter_ms,
// server_cpu_pct, server_rss_mb, bytes_per_client_s, failed) and an
// optional latency plot. See docs/loadtest.md.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
)

// Config is one load test. Only URL is required; every other zero value
// has the default its field documents.
type Config struct {
	// URL is the game WebSocket, e.g. ws://127.0.0.1:8080/ws.
	URL string
	// MetricsURL is the server's HTTP base for GET /metrics (the process_*
	// metrics: server CPU and RSS) and GET /debug/ticks (tick duration
	// and jitter). Empty: URL's host over http (https for wss). A server
	// that does not answer leaves those report keys null.
	MetricsURL string
	// Name names the run in the report (its "scenario" key). Empty:
	// "loadtest".
	Name string
	// Clients is how many bots connect. Zero: 10.
	Clients int
	// Duration is the measured window. Zero: 10 s.
	Duration time.Duration
	// Warmup is how long inputs flow before the window opens. Zero: 1 s.
	Warmup time.Duration
	// InputHz is how many inputs each bot sends a second. Zero: 20.
	InputHz float64
	// Ramp is how many connections open a second. Zero: 100.
	Ramp float64
	// Grace is how long, after the window, inputs sent in it may still be
	// acknowledged before they count as lost. Zero: 1 s.
	Grace time.Duration
	// Progress receives a line a second ("loadtest 3.0s measure clients
	// 50/50 | inputs …"). Nil: none.
	Progress io.Writer
	// JSON is the path the report is written to. Empty: not written
	// (Run returns it either way).
	JSON string
	// Plot is the path of a latency plot (.png or .svg). Empty: none.
	Plot string
}

// Defaults.
const (
	DefaultClients  = 10
	DefaultDuration = 10 * time.Second
	DefaultWarmup   = time.Second
	DefaultInputHz  = 20
	DefaultRamp     = 100
	DefaultGrace    = time.Second
)

// ErrConfig is wrapped by every error Run returns for a bad Config.
var ErrConfig = errors.New("loadtest: bad config")

// ErrNoClient is returned by Run when no bot connected and joined.
var ErrNoClient = errors.New("loadtest: no client connected")

// withDefaults returns c with its zero fields defaulted, or every problem.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrConfig, field, fmt.Sprintf(format, args...)))
	}
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		bad("URL", "%q is not a ws:// or wss:// URL", c.URL)
	} else if c.MetricsURL == "" {
		c.MetricsURL = strings.Replace(u.Scheme, "ws", "http", 1) + "://" + u.Host
	}
	if c.Name == "" {
		c.Name = "loadtest"
	}
	def := func(v *float64, d float64, field string) {
		switch {
		case *v == 0:
			*v = d
		case *v < 0:
			bad(field, "%g is negative", *v)
		}
	}
	def(&c.InputHz, DefaultInputHz, "InputHz")
	def(&c.Ramp, DefaultRamp, "Ramp")
	for _, d := range []struct {
		v    *time.Duration
		def  time.Duration
		name string
	}{{&c.Duration, DefaultDuration, "Duration"}, {&c.Warmup, DefaultWarmup, "Warmup"}, {&c.Grace, DefaultGrace, "Grace"}} {
		switch {
		case *d.v == 0:
			*d.v = d.def
		case *d.v < 0:
			bad(d.name, "%v is negative", *d.v)
		}
	}
	switch {
	case c.Clients == 0:
		c.Clients = DefaultClients
	case c.Clients < 0:
		bad("Clients", "%d is negative", c.Clients)
	}
	if ext := strings.ToLower(filepath.Ext(c.Plot)); c.Plot != "" && ext != ".png" && ext != ".svg" {
		bad("Plot", "%q: want a .png or .svg file", c.Plot)
	}
	return c, errors.Join(errs...)
}

// inputPeriod is the time between two inputs of one bot.
func (c Config) inputPeriod() time.Duration { return time.Duration(float64(time.Second) / c.InputHz) }

// Bot is what every simulated player of a load test does; S is the game's
// state message. Input is required; Join and Frame are optional.
type Bot[S proto.Message] struct {
	// Join seats p once its connection is open and the server welcomed it
	// (p.ID is set), usually with p.JoinRoom. It runs on one of the
	// harness's dialer goroutines and may block until ctx ends. Nil: join
	// the game Game names (the lobby quick-joins a room, creating one when
	// none has a seat).
	Join func(ctx context.Context, p *Player) error
	// Game is the game Join's default joins.
	Game string
	// Input returns p's input seq (1, 2, …): the game's input message,
	// which the harness sends at its due time. It runs on a scheduler
	// goroutine with state, the player's replica of the room's state (as
	// of the last frame; empty before the first), which it must not keep
	// or change. A nil input sends an empty one.
	Input func(p *Player, seq uint64, state S) proto.Message
	// Frame, when set, is called after every state frame is applied to p's
	// replica, with the state and the frame's tick. It runs on a client
	// poller goroutine and must not block, nor keep or change state.
	Frame func(p *Player, state S, tick uint64)
}

// validate says what a Bot lacks.
func (b Bot[S]) validate() error {
	if b.Input == nil {
		return fmt.Errorf("%w: Bot.Input is nil", ErrConfig)
	}
	if b.Join == nil && b.Game == "" {
		return fmt.Errorf("%w: Bot has neither Join nor Game", ErrConfig)
	}
	return nil
}
