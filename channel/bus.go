package channel

import (
	"context"
	"errors"
	"sync"
)

// EventKind says what an Event carries.
type EventKind uint8

// The kinds of Event.
const (
	// EventMessage is a published message.
	EventMessage EventKind = iota + 1
	// EventJoin is a subscription to a presence channel starting.
	EventJoin
	// EventLeave is a subscription to a presence channel ending.
	EventLeave
)

// Event is what travels on a Bus: a published message, or one
// subscription joining or leaving a presence channel. encoding/json
// round-trips it (Data as base64), so a Bus may ship it as JSON; any other
// encoding that keeps every field works too.
type Event struct {
	Kind    EventKind `json:"kind"`
	Channel string    `json:"channel"`
	// From is the publishing player of a message ("" for the server, e.g.
	// the HTTP publish API), or the member of a join or leave.
	From string `json:"from,omitempty"`
	// Name is the member's display name (joins).
	Name string `json:"name,omitempty"`
	// Data is a message's payload. Hubs do not modify it.
	Data []byte `json:"data,omitempty"`
	// UnixNano is when the publishing node accepted the event.
	UnixNano int64 `json:"t"`
	// Node is the node the event comes from (Options.Node there).
	Node string `json:"node,omitempty"`
	// Sub identifies the subscription of a join or leave, unique on its
	// node: a join and its leave carry the same Sub. A cluster Bus that
	// sees a node vanish delivers an EventLeave for each of that node's
	// joins without a leave (it can track them by Node and Sub), so no
	// member stays present forever.
	Sub uint64 `json:"sub,omitempty"`
}

// Bus carries channel events to every node of a cluster: the Hub publishes
// each message and presence change to it and receives every node's events
// (its own included) back through the function given to Start, and only
// then delivers them to its subscribers. That one path is what makes
// delivery exactly once and ordered in a cluster:
//
//   - Exactly once: each Event given to Publish reaches every running
//     node's deliver function exactly once, the publishing node included
//     (a Bus must not short-circuit local delivery and also loop it back).
//     Each Hub then hands it to each of its subscribers once.
//   - Order: events one node publishes for one channel are delivered, on
//     every node, in the order Publish was called (NATS keeps this for one
//     connection and subject). Events from different nodes may interleave
//     differently on different nodes; each Hub gives all its subscribers
//     one order.
//   - deliver may be called from any goroutine and concurrently; the Hub
//     serialises per channel. It does not block (it writes into bounded
//     per-session outboxes) and must not be called after Close returns.
//   - Publish may block briefly (a network write) but not on a slow
//     subscriber. An error means the event was not sent; the Hub reports
//     it to the publisher (ERROR_CODE_INTERNAL, or SHUTTING_DOWN after
//     Close) and counts it.
//   - Presence across nodes: joins and leaves travel as events like
//     messages; a node learns the members of channels that existed before
//     it started only from later events (see Event.Sub for nodes that
//     vanish).
//
// NewLocalBus is the single-node Bus. A NATS Bus would publish each event
// on a subject per channel (or one subject for all, with Channel inside),
// subscribe to them all on start, and pass what arrives to deliver.
type Bus interface {
	// Start begins delivering events from every node to deliver. The Hub
	// calls it once, from NewHub, before any Publish.
	Start(deliver func(Event)) error
	// Publish sends ev to every node's Hub, this one included.
	Publish(ctx context.Context, ev Event) error
	// Close stops delivery; Publish fails afterwards.
	Close(ctx context.Context) error
}

// ErrBusClosed is returned by Publish on a closed Bus.
var ErrBusClosed = errors.New("channel: bus closed")

// LocalBus is the Bus of a single node: Publish delivers to this
// process's Hub at once, on the publisher's goroutine.
type LocalBus struct {
	mu      sync.RWMutex
	deliver func(Event)
	closed  bool
}

var _ Bus = (*LocalBus)(nil)

// NewLocalBus returns the single-node Bus (the Hub's default).
func NewLocalBus() *LocalBus { return &LocalBus{} }

// Start implements Bus.
func (b *LocalBus) Start(deliver func(Event)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.deliver != nil {
		return errors.New("channel: LocalBus started twice")
	}
	b.deliver = deliver
	return nil
}

// Publish implements Bus: it delivers ev before it returns.
func (b *LocalBus) Publish(_ context.Context, ev Event) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed || b.deliver == nil {
		return ErrBusClosed
	}
	b.deliver(ev)
	return nil
}

// Close implements Bus. It waits for deliveries in progress.
func (b *LocalBus) Close(context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}
