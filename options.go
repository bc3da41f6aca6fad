package tickwire

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/channel"
	"github.com/tickwire/tickwire/cluster"
	"github.com/tickwire/tickwire/lobby"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tick"
)

// DefaultAddr is the address a Node listens on when Options.Addr is empty.
const DefaultAddr = "127.0.0.1:8080"

// Options configure a Node. The zero value serves the games registered in
// tick.DefaultRegistry on DefaultAddr, over plain HTTP, with an embedded
// lobby and console logs at info level on stderr; each default is on its
// field.
//
// The fields above Server, Channels, Rooms and Lobby are the common knobs
// (the demo's command-line flags; AddFlags defines them). Server,
// Channels, Rooms and Lobby reach every other option of those parts: a
// common knob, when set, wins over the same option there, and the Node
// fills in the fields that tie the parts together (loggers, metrics, the
// server's rooms, lobby and channels, the lobby's rooms, the unseat hook,
// the cluster's bus and directory).
type Options struct {
	// Addr is the TCP address to listen on. Empty: DefaultAddr
	// (127.0.0.1:8080). Port 0 picks a free port (Node.Addr reports it).
	Addr string
	// TLSCertFile and TLSKeyFile, both set, serve https:// and wss://.
	// Empty: plain HTTP.
	TLSCertFile, TLSKeyFile string
	// Origins is the WebSocket Origin allow-list (full origins, or "*" for
	// any). Empty: same host only (see server.Options.Origins).
	Origins []string

	// Logger receives every part's logs, each with its own component
	// field. Nil: a logger made from LogLevel, LogFormat and LogOutput.
	Logger *zerolog.Logger
	// LogLevel is debug, info, warn or error (without Logger). Empty: info.
	LogLevel string
	// LogFormat is console (human-readable) or json (without Logger).
	// Empty: console.
	LogFormat string
	// LogOutput is where logs go (without Logger). Nil: os.Stderr.
	LogOutput io.Writer

	// PublishSecret guards the HTTP publish API (POST /publish, with
	// "Authorization: Bearer SECRET"). Empty: the API is disabled (403).
	PublishSecret string

	// Games is where rooms find their games. Nil: tick.DefaultRegistry(),
	// which games fill from their init functions with tick.Register.
	Games *tick.Registry
	// Name names this process in metrics, room records and seats. Empty:
	// "local", or the cluster node's name with Cluster.
	Name string
	// PreciseTimers wakes rooms with kernel-precise timers: lower tick
	// jitter for more CPU (see tick.Options.PreciseTimers).
	PreciseTimers bool
	// Metrics is the Prometheus registry every part registers in and GET
	// /metrics serves. Nil: a new one with the Go and process collectors
	// (Node.Metrics returns it).
	Metrics *prometheus.Registry
	// DisableSDK leaves /sdk/ (the bundled browser SDK) unmounted.
	DisableSDK bool

	// AdminAddr, when set, serves the admin listener there (package admin:
	// /metrics, /debug/pprof/, /debug/ticks by time window, the admin JSON
	// API and the /monitor page), guarded by AdminToken, and takes
	// /metrics and /debug/ticks off the public port, which keeps /healthz.
	// An address without a host (":9090") is loopback. Empty: no admin
	// listener; the public port serves /metrics and /debug/ticks (reset on
	// each read) as it always has.
	AdminAddr string
	// AdminToken guards the admin listener ("Authorization: Bearer
	// TOKEN"), at least 16 characters. Required with AdminAddr.
	AdminToken string

	// Cluster, when set, makes this process a node of a Tickwire cluster
	// over NATS (see package cluster): the lobby uses the cluster's
	// directory, matchmaker and signing key, channels reach every node,
	// and rooms of games that opt in are saved for recovery. Nil: one
	// process, no external services. Its Logger is replaced by the Node's.
	Cluster *cluster.Options

	// Server holds the server's other options (limits, timeouts,
	// Authenticate...). Addr, TLS, Origins, PublishSecret, Logger and
	// Registry are set from the fields above, and Rooms, Lobby and
	// Channels by the Node (its room runtime, lobby and hub). Authenticate
	// left nil is the lobby's (its guest tokens, or Lobby.Authenticator):
	// give the lobby an Authenticator to bring your own identities to both
	// the lobby's HTTP API and /ws; an Authenticate here applies to /ws
	// only.
	Server server.Options
	// Channels holds the pub/sub hub's options (docs/channels.md: rules,
	// history, limits). Logger is the Node's, Registerer (when nil) its
	// Metrics, and in cluster mode Bus and Node are the cluster's.
	Channels channel.Options
	// Rooms holds the room runtime's other options (limits, clock...).
	// Registry, Logger, Registerer, NodeID and PreciseTimers are set from
	// the fields above; OnUnseat and OnSnapshot, when set, are called
	// after the Node's own hooks.
	Rooms tick.Options
	// Lobby holds the lobby's other options (TTLs, matchmaking, Secret,
	// Authenticator...). Rooms, Node, Logger and Registerer are set by the
	// Node; in cluster mode the cluster sets the directory, matchmaker and
	// secret.
	Lobby lobby.Options

	// flags are the cluster-mode flags AddFlags defined, turned into
	// Cluster by NewNode when -nats is set.
	flags *clusterFlags
}

// SplitList splits a comma-separated list, trimming spaces and dropping
// empty items: "a, b,," is ["a" "b"].
func SplitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// validate returns every problem with o, each naming its field.
func (o *Options) validate() error {
	var errs []error
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		errs = append(errs, errors.New("TLSCertFile and TLSKeyFile go together"))
	}
	if o.AdminAddr != "" && len(o.AdminToken) < 16 {
		errs = append(errs, errors.New("AdminToken: at least 16 characters are required with AdminAddr (-admin-token or $TICKWIRE_ADMIN_TOKEN)"))
	}
	if o.Logger == nil {
		if _, err := NewLogger(o.LogLevel, "json", io.Discard); err != nil {
			errs = append(errs, fmt.Errorf("LogLevel: %w", err))
		}
		if _, err := NewLogger("", o.LogFormat, io.Discard); err != nil {
			errs = append(errs, fmt.Errorf("LogFormat: %w", err))
		}
	}
	return errors.Join(errs...)
}

// NewLogger makes the logger Options describe without a Logger: level
// (empty: info) and format ("console", the default, or "json") written to
// out (nil: os.Stderr), with timestamps.
func NewLogger(level, format string, out io.Writer) (zerolog.Logger, error) {
	if level == "" {
		level = "info"
	}
	lvl, err := zerolog.ParseLevel(level)
	if err != nil {
		return zerolog.Logger{}, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	if out == nil {
		out = os.Stderr
	}
	switch format {
	case "", "console":
		out = zerolog.ConsoleWriter{Out: out, TimeFormat: time.TimeOnly}
	case "json":
	default:
		return zerolog.Logger{}, fmt.Errorf("log format %q: want console or json", format)
	}
	return zerolog.New(out).Level(lvl).With().Timestamp().Logger(), nil
}
