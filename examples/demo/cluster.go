package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/channel"
	"github.com/tickwire/tickwire/cluster"
	"github.com/tickwire/tickwire/lobby"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/tick"
)

// clusterFlags are the demo's cluster-mode flags. Without -nats the demo
// runs embedded, as before.
type clusterFlags struct {
	nats       string
	token      string
	user       string
	password   string
	creds      string
	nkey       string
	name       string
	publicURL  string
	cluster    string
	secretFile string
	heartbeat  time.Duration
}

// addClusterFlags defines the cluster-mode flags on fs.
func addClusterFlags(fs *flag.FlagSet) *clusterFlags {
	c := &clusterFlags{}
	fs.StringVar(&c.nats, "nats", "", "NATS server URLs, comma-separated: run as a node of a cluster (empty: embedded, one process)")
	fs.StringVar(&c.token, "nats-token", "", "NATS token (or $TICKWIRE_NATS_TOKEN)")
	fs.StringVar(&c.user, "nats-user", "", "NATS user name (with -nats-password or $TICKWIRE_NATS_PASSWORD)")
	fs.StringVar(&c.password, "nats-password", "", "NATS password (or $TICKWIRE_NATS_PASSWORD)")
	fs.StringVar(&c.creds, "nats-creds", "", "NATS credentials file (JWT and NKey seed)")
	fs.StringVar(&c.nkey, "nats-nkey", "", "NATS NKey seed file")
	fs.StringVar(&c.name, "node-name", "", "this node's name, unique in the cluster (default: the host name)")
	fs.StringVar(&c.publicURL, "public-url", "", "where clients reach this node, http(s)://host:port (default: from -addr)")
	fs.StringVar(&c.cluster, "cluster", "tickwire", "the Tickwire cluster's name; several may share one NATS")
	fs.StringVar(&c.secretFile, "cluster-secret-file", "", "file holding the cluster's signing secret, the same on every node (or $TICKWIRE_CLUSTER_SECRET)")
	fs.DurationVar(&c.heartbeat, "heartbeat-ttl", 5*time.Second, "a node silent this long is taken for dead")
	return c
}

// options turns the flags into cluster.Options; addr is -addr and tls says
// whether the server speaks https.
func (c *clusterFlags) options(addr string, tls bool, log zerolog.Logger) (cluster.Options, error) {
	o := cluster.Options{
		NATS: c.nats, Token: c.token, User: c.user, Password: c.password, CredsFile: c.creds, NKeyFile: c.nkey,
		Cluster: c.cluster, Name: c.name, PublicURL: c.publicURL, HeartbeatTTL: c.heartbeat, Logger: log,
	}
	if o.Token == "" {
		o.Token = os.Getenv("TICKWIRE_NATS_TOKEN")
	}
	if o.Password == "" {
		o.Password = os.Getenv("TICKWIRE_NATS_PASSWORD")
	}
	switch {
	case c.secretFile != "":
		b, err := os.ReadFile(c.secretFile)
		if err != nil {
			return o, fmt.Errorf("-cluster-secret-file: %w", err)
		}
		o.Secret = []byte(strings.TrimSpace(string(b)))
	case os.Getenv("TICKWIRE_CLUSTER_SECRET") != "":
		o.Secret = []byte(os.Getenv("TICKWIRE_CLUSTER_SECRET"))
	default:
		return o, errors.New("cluster mode needs the cluster's secret: -cluster-secret-file or $TICKWIRE_CLUSTER_SECRET")
	}
	if o.PublicURL == "" {
		host, port, err := net.SplitHostPort(addr)
		if err != nil || port == "0" || host == "" || net.ParseIP(host).IsUnspecified() {
			return o, fmt.Errorf("cluster mode: give -public-url (clients cannot reach -addr %q as it is)", addr)
		}
		scheme := "http"
		if tls {
			scheme = "https"
		}
		o.PublicURL = scheme + "://" + addr
	}
	return o, nil
}

// connect joins the cluster as a node when -nats is set; without it, it
// returns nil (embedded). tls says whether the server speaks https. The
// node is made before the server and the rooms, which take its channel
// bus and snapshot hook; newLobby starts it.
func (c *clusterFlags) connect(ctx context.Context, addr string, tls bool, log zerolog.Logger) (*cluster.Node, error) {
	if c == nil || c.nats == "" {
		return nil, nil
	}
	copts, err := c.options(addr, tls, log)
	if err != nil {
		return nil, err
	}
	return cluster.New(ctx, copts)
}

// channelOptions are the server's channel options: on a node, the
// cluster's channel bus, so a publish on any node reaches every node's
// subscribers.
func channelOptions(node *cluster.Node) channel.Options {
	if node == nil {
		return channel.Options{}
	}
	return channel.Options{Bus: node.ChannelBus(), Node: node.Name()}
}

// snapshotHook is tick.Options.OnSnapshot: on a node, rooms of games that
// opt in (arena) are saved for recovery on another node.
func snapshotHook(node *cluster.Node) func(tick.RoomSnapshot) {
	if node == nil {
		return nil
	}
	return node.SaveSnapshot
}

// newLobby makes the demo's lobby. Without a node it is lobby.New(opts):
// embedded. On a node the lobby uses the cluster's directory, matchmaker
// and signing key, the node registers and heartbeats, and srv's shutdown
// takes the node out of the cluster (migrating rooms with snapshots)
// before the lobby and rooms close (register this before them). On error
// the node is closed.
func newLobby(ctx context.Context, node *cluster.Node, srv *server.Server, opts lobby.Options) (*lobby.Lobby, error) {
	if node == nil {
		return lobby.New(opts)
	}
	lob, err := lobby.New(node.LobbyOptions(opts))
	if err != nil {
		_ = node.Close(context.Background())
		return nil, err
	}
	if err := node.Start(ctx, cluster.Host{Lobby: lob, Rooms: opts.Rooms}); err != nil {
		_ = node.Close(context.Background())
		_ = lob.Close(context.Background())
		return nil, err
	}
	srv.OnShutdown(node.Close)
	return lob, nil
}
