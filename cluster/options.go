package cluster

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Options configure a Node. NATS and Secret are required; every other zero
// field takes the default written on it.
type Options struct {
	// NATS is the NATS server URLs, comma-separated
	// ("nats://10.0.0.1:4222,nats://10.0.0.2:4222"). Required.
	NATS string
	// Token, User and Password, CredsFile (a .creds file: JWT and NKey
	// seed) or NKeyFile (an NKey seed file) authenticate the node to NATS;
	// give at most one kind. None: no authentication.
	Token     string
	User      string
	Password  string
	CredsFile string
	NKeyFile  string

	// Cluster names the Tickwire cluster: its buckets and subjects are
	// prefixed with it, so several clusters can share one NATS system.
	// Letters, digits, - and _. Empty: "tickwire".
	Cluster string
	// Name is this node's name, unique in the cluster while it runs
	// (letters, digits, -, _ and .). Empty: the host name.
	Name string
	// PublicURL is where clients reach this node's HTTP and WebSocket
	// endpoints (http(s)://host:port), published in the registry: grants
	// and matched tickets for rooms on this node point there. Empty:
	// Host.URL, given to Start.
	PublicURL string
	// Secret is the cluster's signing key for tokens and seats, the same
	// on every node of the cluster (at least 16 bytes). Nodes derive the
	// lobby's key from it and the cluster name, so a seat signed by another
	// cluster never verifies here, even with the same secret. Required.
	Secret []byte

	// HeartbeatTTL is how long a node may go without a heartbeat before
	// the cluster takes it for dead: its rooms leave the directory and, if
	// it led the matchmaker, another node takes over. Nodes beat every
	// third of it; a node whose heartbeats NATS has not acknowledged for
	// TTL − TTL/4 fences itself (fence.go): keep it well above the NATS
	// cluster's failover time. Zero: 5 seconds; at least 1 second.
	HeartbeatTTL time.Duration
	// Replicas is how many NATS servers keep each bucket. Zero: 3, or 1
	// when NATS runs without clustering.
	Replicas int
	// TicketRetention is how long a finished ticket stays readable. Zero:
	// 5 minutes (the lobby's default).
	TicketRetention time.Duration
	// SnapshotBytes bounds the snapshots bucket (room recovery): when it
	// is full the oldest snapshots go. Zero: 256 MiB.
	SnapshotBytes int64
	// MaxSnapshotBytes bounds one room's snapshot; larger ones are not
	// saved (counted in SnapshotStats.Refused, logged). Zero: 1 MiB.
	MaxSnapshotBytes int
	// ReplayMaxBytes bounds the replay stream, where the rooms of games
	// whose tick.GameInfo.Record sets NodeSink are recorded
	// (docs/replay.md): when it is full the oldest logs go. Zero: 1 GiB;
	// at least 1 MiB.
	ReplayMaxBytes int64
	// ReplayMaxAge is how long the replay stream keeps a log's chunks.
	// Zero: 7 days; at least a minute.
	ReplayMaxAge time.Duration
	// ReplayMaxChunks bounds one recording in the replay stream, in
	// chunks of up to 32 KiB; past it the recording's first chunks go,
	// which makes it unreadable (ErrReplayTruncated), so keep it above
	// tick.RecordOptions.MaxBytes / 32 KiB. Zero: 4096 (128 MiB, twice
	// the default MaxBytes).
	ReplayMaxChunks int64
	// ReplayAckTimeout is how long a published chunk of a room's log may
	// wait for JetStream's ack before the room's recording is dropped (a
	// NATS outage; the room runs on unrecorded). Zero: 5 seconds.
	ReplayAckTimeout time.Duration
	// Logger gets the node's logs with component "cluster". Zero: none.
	Logger zerolog.Logger
}

var (
	clusterName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
	nodeName    = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
)

// normalize fills in defaults and returns every problem, naming the field.
func (o Options) normalize() (Options, error) {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if strings.TrimSpace(o.NATS) == "" {
		bad("NATS: required")
	}
	kinds := 0
	for _, set := range []bool{o.Token != "", o.User != "" || o.Password != "", o.CredsFile != "", o.NKeyFile != ""} {
		if set {
			kinds++
		}
	}
	if kinds > 1 {
		bad("Token, User/Password, CredsFile, NKeyFile: give one kind of credentials")
	}
	if o.Cluster == "" {
		o.Cluster = "tickwire"
	} else if !clusterName.MatchString(o.Cluster) {
		bad("Cluster %q: letters, digits, - and _ only, at most 32", o.Cluster)
	}
	if o.Name == "" {
		h, err := os.Hostname()
		if err != nil {
			bad("Name: empty and no host name: %v", err)
		}
		o.Name = h
	}
	if !nodeName.MatchString(o.Name) {
		bad("Name %q: letters, digits, -, _ and . only, at most 64", o.Name)
	}
	if o.PublicURL != "" {
		if err := checkURL(o.PublicURL); err != nil {
			bad("PublicURL: %v", err)
		}
	}
	if len(o.Secret) < 16 {
		bad("Secret: %d bytes, want at least 16 (the same on every node)", len(o.Secret))
	}
	switch {
	case o.HeartbeatTTL == 0:
		o.HeartbeatTTL = 5 * time.Second
	case o.HeartbeatTTL < time.Second:
		bad("HeartbeatTTL %v: want at least 1s", o.HeartbeatTTL)
	}
	if o.Replicas < 0 || o.Replicas > 5 {
		bad("Replicas %d: want 1..5", o.Replicas)
	}
	if o.TicketRetention == 0 {
		o.TicketRetention = 5 * time.Minute
	} else if o.TicketRetention < time.Second {
		bad("TicketRetention %v: want at least 1s", o.TicketRetention)
	}
	switch {
	case o.SnapshotBytes == 0:
		o.SnapshotBytes = 256 << 20
	case o.SnapshotBytes < 1<<20:
		bad("SnapshotBytes %d: want at least 1 MiB", o.SnapshotBytes)
	}
	switch {
	case o.MaxSnapshotBytes == 0:
		o.MaxSnapshotBytes = 1 << 20
	case o.MaxSnapshotBytes < 1<<10 || int64(o.MaxSnapshotBytes) > o.SnapshotBytes/4:
		bad("MaxSnapshotBytes %d: want 1 KiB .. SnapshotBytes/4", o.MaxSnapshotBytes)
	}
	switch {
	case o.ReplayMaxBytes == 0:
		o.ReplayMaxBytes = 1 << 30
	case o.ReplayMaxBytes < 1<<20:
		bad("ReplayMaxBytes %d: want at least 1 MiB", o.ReplayMaxBytes)
	}
	switch {
	case o.ReplayMaxAge == 0:
		o.ReplayMaxAge = 7 * 24 * time.Hour
	case o.ReplayMaxAge < time.Minute:
		bad("ReplayMaxAge %v: want at least 1m", o.ReplayMaxAge)
	}
	switch {
	case o.ReplayMaxChunks == 0:
		o.ReplayMaxChunks = 4096
	case o.ReplayMaxChunks < 1:
		bad("ReplayMaxChunks %d: want at least 1", o.ReplayMaxChunks)
	}
	switch {
	case o.ReplayAckTimeout == 0:
		o.ReplayAckTimeout = 5 * time.Second
	case o.ReplayAckTimeout < 0:
		bad("ReplayAckTimeout %v: must not be negative", o.ReplayAckTimeout)
	}
	if len(errs) > 0 {
		return o, errors.New("cluster options: " + strings.Join(errs, "; "))
	}
	return o, nil
}

// checkURL accepts http(s)://host[:port] base URLs.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q: want http(s)://host:port", s)
	}
	return nil
}

// lobbySecret is the key the lobby signs with: the cluster's secret bound
// to the cluster's name.
func (o Options) lobbySecret() []byte {
	m := hmac.New(sha256.New, o.Secret)
	m.Write([]byte("tickwire cluster v1\x00" + o.Cluster))
	return m.Sum(nil)
}
