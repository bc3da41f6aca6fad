package channel

import (
	"errors"
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"
)

// Options configures a Hub. The zero value works: the defaults are
// documented on each field.
type Options struct {
	// Rules govern channel names, first match wins. Default DefaultRules().
	Rules []Rule
	// History is how many of its latest messages a channel keeps for late
	// joiners, where its Rule does not say. Default 50.
	History int
	// MaxSubscriptions caps one session's channel subscriptions; past it
	// Subscribe fails with ERROR_CODE_SUBSCRIPTION_LIMIT. Default 32.
	MaxSubscriptions int
	// MaxMessageBytes caps a published message's data; larger ones fail
	// with ERROR_CODE_MESSAGE_TOO_LARGE (HTTP 413). Default 4096.
	MaxMessageBytes int
	// PublishRate and PublishBurst limit one session's publishes (a token
	// bucket, golang.org/x/time/rate); excess publishes fail with
	// ERROR_CODE_RATE_LIMITED. Hub.Publish is not limited. Defaults 10/s,
	// burst 20.
	PublishRate  rate.Limit
	PublishBurst int
	// MaxChannels caps the channels a node holds. A new channel beyond it
	// evicts the least recently active channel without subscribers (and
	// its history); when every channel has subscribers the new one is
	// refused with ERROR_CODE_NODE_FULL. Default 10,000.
	MaxChannels int
	// Bus carries events between nodes. Default NewLocalBus() (one node).
	Bus Bus
	// Node names this node on the events it publishes. Default "local".
	Node string
	// Logger receives the hub's logs (component=channels). Default: disabled.
	Logger zerolog.Logger
	// Registerer receives the hub's Prometheus metrics. Default: none.
	Registerer prometheus.Registerer
}

func (o *Options) setDefaults() {
	if o.Rules == nil {
		o.Rules = DefaultRules()
	}
	if o.History == 0 {
		o.History = 50
	}
	if o.MaxSubscriptions == 0 {
		o.MaxSubscriptions = 32
	}
	if o.MaxMessageBytes == 0 {
		o.MaxMessageBytes = 4096
	}
	if o.PublishRate == 0 {
		o.PublishRate = 10
	}
	if o.PublishBurst == 0 {
		o.PublishBurst = 20
	}
	if o.MaxChannels == 0 {
		o.MaxChannels = 10_000
	}
	if o.Bus == nil {
		o.Bus = NewLocalBus()
	}
	if o.Node == "" {
		o.Node = "local"
	}
}

// validate returns every problem with the options, each naming its field.
func (o *Options) validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("channel.Options.%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if o.History < 0 {
		bad("History", "must not be negative, got %d", o.History)
	}
	if o.MaxSubscriptions < 0 {
		bad("MaxSubscriptions", "must not be negative, got %d", o.MaxSubscriptions)
	}
	if o.MaxMessageBytes < 0 {
		bad("MaxMessageBytes", "must not be negative, got %d", o.MaxMessageBytes)
	}
	if o.PublishRate < 0 || o.PublishBurst < 0 {
		bad("PublishRate", "rate and burst must not be negative")
	}
	if o.MaxChannels < 0 {
		bad("MaxChannels", "must not be negative, got %d", o.MaxChannels)
	}
	for i, r := range o.Rules {
		if r.Prefix == "" || strings.ContainsFunc(r.Prefix, func(c rune) bool { return CheckName(string(c)) != nil }) {
			bad("Rules", "rule %d: prefix %q is empty or has characters channel names cannot have", i, r.Prefix)
		}
	}
	return errors.Join(errs...)
}

// rule returns the rule governing name, or nil.
func (o *Options) rule(name string) *Rule {
	for i := range o.Rules {
		if strings.HasPrefix(name, o.Rules[i].Prefix) {
			return &o.Rules[i]
		}
	}
	return nil
}

// history is how many messages channels of r keep.
func (o *Options) history(r *Rule) int {
	switch {
	case r.History < 0:
		return 0
	case r.History > 0:
		return r.History
	}
	return o.History
}
