package tickwire

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/tickwire/tickwire/cluster"
)

// AddFlags defines the demo's command-line flags on fs, writing into o when
// fs is parsed, so that every Tickwire program takes the same ones:
//
//	-addr, -tls-cert, -tls-key, -origins (comma-separated), -log-level,
//	-log-format, -publish-secret (default $TICKWIRE_PUBLISH_SECRET),
//	-precise-timers, -admin-addr, -admin-token (default
//	$TICKWIRE_ADMIN_TOKEN)
//
// and the cluster mode's, which make the program a node of a cluster when
// -nats is set (NewNode then fills in o.Cluster from them):
//
//	-nats, -nats-token (or $TICKWIRE_NATS_TOKEN), -nats-user,
//	-nats-password (or $TICKWIRE_NATS_PASSWORD), -nats-creds, -nats-nkey,
//	-node-name, -public-url, -cluster, -cluster-secret-file (or
//	$TICKWIRE_CLUSTER_SECRET), -heartbeat-ttl
//
// Fields already set in o are the flags' defaults.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.LogLevel == "" {
		o.LogLevel = "info"
	}
	if o.LogFormat == "" {
		o.LogFormat = "console"
	}
	if o.PublishSecret == "" {
		o.PublishSecret = os.Getenv("TICKWIRE_PUBLISH_SECRET")
	}
	if o.AdminToken == "" {
		o.AdminToken = os.Getenv("TICKWIRE_ADMIN_TOKEN")
	}
	fs.StringVar(&o.Addr, "addr", o.Addr, "address to listen on (port 0 picks a free port)")
	fs.StringVar(&o.TLSCertFile, "tls-cert", o.TLSCertFile, "TLS certificate file (PEM); with -tls-key serves https:// and wss://")
	fs.StringVar(&o.TLSKeyFile, "tls-key", o.TLSKeyFile, "TLS private key file (PEM)")
	fs.Func("origins", "comma-separated WebSocket Origin allow-list; empty: same host only; * allows all", func(s string) error {
		o.Origins = SplitList(s)
		return nil
	})
	fs.StringVar(&o.LogLevel, "log-level", o.LogLevel, "log level: debug, info, warn, error")
	fs.StringVar(&o.LogFormat, "log-format", o.LogFormat, "log format: console or json")
	fs.StringVar(&o.PublishSecret, "publish-secret", o.PublishSecret, "secret of the HTTP publish API (Authorization: Bearer SECRET); default $TICKWIRE_PUBLISH_SECRET")
	fs.BoolVar(&o.PreciseTimers, "precise-timers", o.PreciseTimers, "wake rooms with kernel-precise timers: lower tick jitter for more CPU (see tick.Options.PreciseTimers)")
	fs.StringVar(&o.AdminAddr, "admin-addr", o.AdminAddr, "admin listener (metrics, pprof, admin API, /monitor; docs/admin.md), e.g. 127.0.0.1:9090 (a host-less :9090 is loopback); empty: none, and -addr keeps /metrics")
	fs.StringVar(&o.AdminToken, "admin-token", o.AdminToken, "admin listener token (Authorization: Bearer TOKEN, 16+ characters); default $TICKWIRE_ADMIN_TOKEN")
	o.flags = addClusterFlags(fs)
}

// clusterFlags are the cluster-mode flags. Without -nats the program runs
// embedded, in one process.
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

// options turns the flags into cluster.Options, or nil without -nats;
// addr is -addr and tls says whether the server speaks https.
func (c *clusterFlags) options(addr string, tls bool) (*cluster.Options, error) {
	if c == nil || c.nats == "" {
		return nil, nil
	}
	o := cluster.Options{
		NATS: c.nats, Token: c.token, User: c.user, Password: c.password, CredsFile: c.creds, NKeyFile: c.nkey,
		Cluster: c.cluster, Name: c.name, PublicURL: c.publicURL, HeartbeatTTL: c.heartbeat,
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
			return nil, fmt.Errorf("-cluster-secret-file: %w", err)
		}
		o.Secret = []byte(strings.TrimSpace(string(b)))
	case os.Getenv("TICKWIRE_CLUSTER_SECRET") != "":
		o.Secret = []byte(os.Getenv("TICKWIRE_CLUSTER_SECRET"))
	default:
		return nil, errors.New("cluster mode needs the cluster's secret: -cluster-secret-file or $TICKWIRE_CLUSTER_SECRET")
	}
	if o.PublicURL == "" {
		host, port, err := net.SplitHostPort(addr)
		if err != nil || port == "0" || host == "" || net.ParseIP(host).IsUnspecified() {
			return nil, fmt.Errorf("cluster mode: give -public-url (clients cannot reach -addr %q as it is)", addr)
		}
		scheme := "http"
		if tls {
			scheme = "https"
		}
		o.PublicURL = scheme + "://" + addr
	}
	return &o, nil
}
