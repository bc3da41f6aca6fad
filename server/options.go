package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/protocol"
)

// IOModeNonBlocking is nbio's non-blocking IO mode, the only one: every
// connection is served by nbio's pollers, and WebSocket frames are parsed
// and handled on the poller that read them. (nbio's blocking and mixed
// modes cost 5× the memory per connection in our measurements, and a
// goroutine per connection cannot run frames inline; docs/design.md.)
const IOModeNonBlocking = "nonblocking"

// Options configures a Server. The zero value serves plain ws:// on
// 127.0.0.1:8080 with the defaults documented on each field.
type Options struct {
	// Addr is the TCP address to listen on. Default "127.0.0.1:8080"; use
	// port 0 for any free port (Server.Addr reports the one chosen).
	Addr string
	// TLSCertFile and TLSKeyFile, when both set, serve https:// and wss://
	// on Addr instead of plain HTTP. TLSConfig, when set, is used instead.
	TLSCertFile, TLSKeyFile string
	TLSConfig               *tls.Config

	// Origins is the WebSocket Origin allow-list: full origins
	// ("https://example.com:8443") or "*" for any. Empty means same host
	// only: the Origin's host must equal the request's Host. A request
	// without an Origin header (a non-browser client) is always allowed.
	Origins []string

	// MaxMessageBytes caps one inbound /ws message; larger ones are closed
	// with 1009. Default protocol.DefaultMaxMessageBytes (64 KiB).
	MaxMessageBytes int
	// EchoMaxMessageBytes caps one inbound /echo message. Default 1 MiB
	// (the classic demo echoes a 400×320 canvas's pixels: 512,000 bytes).
	EchoMaxMessageBytes int
	// Compression enables permessage-deflate negotiation. Inbound
	// compressed messages are accepted on every endpoint; /echo compresses
	// its replies, /ws never compresses outbound frames (a broadcast is
	// encoded once for every receiver; deflating it per connection would
	// undo that). Default true; set DisableCompression to turn it off.
	DisableCompression bool

	// PingInterval is how often the server pings an idle peer. Default 15s.
	PingInterval time.Duration
	// IdleTimeout drops a peer from which nothing (not even a pong) arrived
	// for this long, with close code 4002. Default 45s.
	IdleTimeout time.Duration
	// CloseGrace is how long a closing handshake may take before the TCP
	// connection is cut. Default 2s.
	CloseGrace time.Duration

	// WriteHighWater is the number of bytes a /ws session may have in
	// flight (handed to the socket but not yet written) before further
	// frames wait in its outbox. Default 64 KiB.
	WriteHighWater int
	// OutboxMaxBytes caps the control messages (not state frames) waiting
	// in one session's outbox; past it the session is closed with 4001.
	// Default 256 KiB. State deltas are never queued: a session that is
	// behind drops them and gets a fresh snapshot instead.
	OutboxMaxBytes int
	// StallTimeout closes with 4001 a session whose socket made no write
	// progress for this long while it had data to send. Default 10s.
	StallTimeout time.Duration
	// MaxWriteBufferBytes is nbio's hard cap on one connection's unsent
	// bytes; past it the connection is closed. Default 4 MiB.
	MaxWriteBufferBytes int

	// MaxHeaderBytes bounds what the server buffers of a request before it
	// is parsed (in practice its head: request line and headers); past it
	// the connection is closed. Default 1 MiB, as net/http's.
	MaxHeaderBytes int
	// MaxBodyBytes bounds an HTTP request body; the connection of a larger
	// one is closed as the bytes arrive, before it is buffered whole.
	// Default 1 MiB (the largest legitimate body, a fallback POST, is
	// 256 KiB).
	MaxBodyBytes int

	// HTTP abuse limits (httpguard.go), each enforced as the bytes arrive,
	// answered with a status and a closed connection (docs/limits.md).
	//
	// HeaderTimeout bounds the time from a request head's first byte to
	// its end (slowloris); past it the client gets 408 (a TLS connection
	// still in its handshake is closed). Default 10s.
	HeaderTimeout time.Duration
	// MaxRequestURIBytes bounds a request's target; a longer one gets 414.
	// Default 8 KiB (nginx's and Apache's request-line limits).
	MaxRequestURIBytes int
	// MaxHeaderLines bounds the header (and trailer) lines of a request; a
	// request with more gets 431. Default 256 (browsers send about 20).
	MaxHeaderLines int

	// MessagesPerSecond and MessageBurst rate-limit inbound messages per
	// /ws session (token bucket). Excess messages are dropped with an
	// ERROR_CODE_RATE_LIMITED error (at most one per second); a session
	// that keeps flooding at FloodFactor times the rate for a second is
	// closed with 4008. Defaults 200/s, burst 400, factor 5.
	MessagesPerSecond float64
	MessageBurst      int
	FloodFactor       float64

	// ShutdownTimeout bounds Shutdown when the caller's context has no
	// deadline. Default 5s.
	ShutdownTimeout time.Duration

	// IOMode is nbio's IO mode: IOModeNonBlocking (the default and the
	// only one).
	IOMode string
	// KernelUnsentBytes bounds the bytes a connection's kernel socket may
	// hold unsent (TCP_NOTSENT_LOWAT on Linux), so that a peer that stops
	// reading shows up in the session's flow control (WriteHighWater,
	// StallTimeout) instead of vanishing into a send buffer the kernel
	// grows to megabytes. Default 32 KiB; -1 leaves the kernel's default.
	KernelUnsentBytes int
	// Pollers is the number of nbio poller goroutines. Default:
	// DefaultPollers(), one per four cores.
	Pollers int

	// SingleSession gives each authenticated player one /ws session at a
	// time: a newer session of the same player closes the older one with
	// 4004 "session replaced". Off by default, so a player may play from
	// several tabs; anonymous sessions are never replaced.
	SingleSession bool

	// Authenticate, when set, maps a Hello token (or the upgrade request's
	// "token" query parameter or Authorization bearer) to a player id. An
	// error refuses the session (HTTP 401 before the upgrade, close 1008
	// after). Without it every session plays as an anonymous guest (a
	// guest of the Lobby, when there is one). The server never fills it
	// in: tickwire.NewNode makes the lobby's Authenticate the default.
	Authenticate func(token string) (playerID string, err error)

	// Rooms joins /ws sessions to rooms (gateway.TickRooms for the tick
	// runtime). Nil: JoinRoom is refused with ERROR_CODE_ROOM_NOT_FOUND.
	Rooms RoomJoiner
	// Lobby serves the lobby on /ws (LobbyRequest envelopes, a guest
	// identity for each session without a token) and its HTTP JSON API
	// under /lobby/ (gateway.Lobby for a *lobby.Lobby). Nil: no lobby.
	Lobby Lobby
	// Channels serves pub/sub channels on /ws and POST /publish
	// (docs/channels.md; gateway.Channels for a *channel.Hub, which its
	// maker configures and closes). Nil: channel requests are refused with
	// ERROR_CODE_BAD_REQUEST and /publish is not mounted.
	Channels Channels
	// PublishSecret guards the HTTP publish API (POST /publish): requests
	// must carry "Authorization: Bearer <PublishSecret>". Empty disables
	// the API (403).
	PublishSecret string

	// Logger receives the server's logs (component=server). Default: a
	// disabled logger.
	Logger zerolog.Logger
	// Registry receives the server's Prometheus metrics and is what
	// /metrics serves. Default: a new registry with Go and process collectors.
	Registry *prometheus.Registry
	// NoMetricsRoute leaves GET /metrics off the server: another listener
	// (the admin listener) serves Registry.
	NoMetricsRoute bool
}

func (o *Options) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	defInt := func(n *int, v int) {
		if *n == 0 {
			*n = v
		}
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:8080"
	}
	defInt(&o.MaxMessageBytes, protocol.DefaultMaxMessageBytes)
	defInt(&o.EchoMaxMessageBytes, 1<<20)
	def(&o.PingInterval, 15*time.Second)
	def(&o.IdleTimeout, 45*time.Second)
	def(&o.CloseGrace, 2*time.Second)
	defInt(&o.WriteHighWater, 64<<10)
	defInt(&o.OutboxMaxBytes, 256<<10)
	def(&o.StallTimeout, 10*time.Second)
	defInt(&o.MaxWriteBufferBytes, 4<<20)
	defInt(&o.KernelUnsentBytes, 32<<10)
	defInt(&o.MaxHeaderBytes, 1<<20)
	defInt(&o.MaxBodyBytes, 1<<20)
	def(&o.HeaderTimeout, 10*time.Second)
	defInt(&o.MaxRequestURIBytes, 8<<10)
	defInt(&o.MaxHeaderLines, 256)
	if o.MessagesPerSecond == 0 {
		o.MessagesPerSecond = 200
	}
	defInt(&o.MessageBurst, 400)
	if o.FloodFactor == 0 {
		o.FloodFactor = 5
	}
	def(&o.ShutdownTimeout, 5*time.Second)
	if o.IOMode == "" {
		o.IOMode = IOModeNonBlocking
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
}

// validate returns every problem with the options, each naming its field.
func (o *Options) validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("server.Options.%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		bad("TLSCertFile", "TLSCertFile and TLSKeyFile must be set together")
	}
	if o.MaxMessageBytes < 0 || o.EchoMaxMessageBytes < 0 {
		bad("MaxMessageBytes", "must be positive, got %d", o.MaxMessageBytes)
	}
	if o.PingInterval < 0 || o.IdleTimeout < 0 || o.CloseGrace < 0 || o.StallTimeout < 0 {
		bad("PingInterval", "durations must not be negative")
	}
	if o.IdleTimeout > 0 && o.IdleTimeout <= o.PingInterval {
		bad("IdleTimeout", "must be longer than PingInterval (%v), got %v", o.PingInterval, o.IdleTimeout)
	}
	if o.WriteHighWater < 0 || o.OutboxMaxBytes < 0 || o.MaxWriteBufferBytes < 0 {
		bad("WriteHighWater", "byte limits must not be negative")
	}
	if o.HeaderTimeout < 0 || o.MaxRequestURIBytes < 0 || o.MaxHeaderLines < 0 || o.MaxHeaderBytes < 0 || o.MaxBodyBytes < 0 {
		bad("HeaderTimeout", "HTTP limits must not be negative")
	}
	if o.MessagesPerSecond < 0 || o.MessageBurst < 0 || o.FloodFactor < 1 {
		bad("MessagesPerSecond", "rate limits must be positive (FloodFactor >= 1)")
	}
	if o.IOMode != IOModeNonBlocking {
		bad("IOMode", "unknown mode %q (want %s: the blocking and mixed modes were removed)", o.IOMode, IOModeNonBlocking)
	}
	for _, origin := range o.Origins {
		if origin != "*" && !strings.Contains(origin, "://") {
			bad("Origins", "%q is not an origin (want scheme://host[:port] or *)", origin)
		}
	}
	return errors.Join(errs...)
}
