package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/channel"
)

// ChannelBus is the channel.Bus of a cluster: every event a node's Hub
// publishes goes out on the core NATS subject
// tickwire.<cluster>.chan.<channel> (the channel's name base64url-encoded:
// one subject token whatever it holds), and every node subscribes to
// tickwire.<cluster>.chan.> once and hands each event to its Hub.
//
//   - Exactly once: NATS delivers a message once to each subscription, and
//     each node has one; the publishing node gets its own events back the
//     same way (no local short cut), as channel.Bus asks.
//   - Order: one node publishes on one connection, and NATS keeps a
//     connection's order per subject; the subscription's one callback
//     goroutine delivers in arrival order.
//   - Publish returns once the event came back to this node, so a Hub's
//     "every subscriber of the node has it" replies (ChannelReply, POST
//     /publish's 200) still hold.
//   - Presence: joins and leaves travel like messages. The bus remembers
//     the joins of other nodes without a leave, by node and subscription;
//     when a node leaves the registry (shut down or dead) it delivers, on
//     this node only, a leave for each, so no member stays forever.
//
// Core NATS is at most once across a disconnection: events published to a
// node while its NATS connection is being re-established are lost for it
// (its own publishes are buffered by the client and sent on reconnect).
// Channels are for chat and tickers, whose history lets a client catch up;
// game state goes through rooms, not channels.
type ChannelBus struct {
	nc       *nats.Conn
	prefix   string // "tickwire.<cluster>.chan."
	node     string
	instance string
	log      zerolog.Logger

	mu      sync.RWMutex // held for reading around each deliver; Close takes it
	deliver func(channel.Event)
	closed  bool
	sub     *nats.Subscription

	seq     atomic.Uint64
	waitMu  sync.Mutex
	waiting map[uint64]chan struct{}

	presMu sync.Mutex
	joins  map[string]map[presenceKey]channel.Event // node → its joins without a leave
}

type presenceKey struct {
	channel string
	sub     uint64
}

var _ channel.Bus = (*ChannelBus)(nil)

// Headers of a bus message: the publishing process and its sequence, so a
// Publish can wait for its own event to come back.
const (
	hdrBusFrom = "Tw-From"
	hdrBusSeq  = "Tw-Seq"
)

// busEcho bounds how long Publish waits for its event to come back before
// it returns anyway (the event was sent).
const busEcho = 2 * time.Second

// ChannelBus returns the node's channel bus, for channel.Options.Bus
// (tickwire.NewNode sets it on its hub), with channel.Options.Node set to
// Name(). It is created once; the Hub starts and closes it.
func (n *Node) ChannelBus() *ChannelBus {
	n.busOnce.Do(func() {
		n.bus = &ChannelBus{
			nc: n.nc, prefix: n.subject + "chan.", node: n.opts.Name, instance: n.instance,
			log: n.log, waiting: map[uint64]chan struct{}{}, joins: map[string]map[presenceKey]channel.Event{},
		}
	})
	return n.bus
}

// Start implements channel.Bus.
func (b *ChannelBus) Start(deliver func(channel.Event)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.deliver != nil {
		return errors.New("cluster: channel bus started twice")
	}
	sub, err := b.nc.Subscribe(b.prefix+">", b.receive)
	if err != nil {
		return fmt.Errorf("cluster: subscribe to channels: %w", err)
	}
	// A hub never blocks in deliver; give bursts room rather than drop.
	_ = sub.SetPendingLimits(1<<20, 256<<20)
	b.deliver, b.sub = deliver, sub
	return nil
}

// receive is the subscription's callback: one event from some node.
func (b *ChannelBus) receive(m *nats.Msg) {
	var ev channel.Event
	if err := json.Unmarshal(m.Data, &ev); err != nil || ev.Channel == "" {
		b.log.Warn().Str("subject", m.Subject).Msg("undecodable channel event skipped")
		return
	}
	mine := m.Header.Get(hdrBusFrom) == b.instance
	if !mine && (ev.Kind == channel.EventJoin || ev.Kind == channel.EventLeave) {
		b.track(ev)
	}
	b.mu.RLock()
	if !b.closed && b.deliver != nil {
		b.deliver(ev)
	}
	b.mu.RUnlock()
	if mine {
		if seq, err := strconv.ParseUint(m.Header.Get(hdrBusSeq), 10, 64); err == nil {
			b.waitMu.Lock()
			if ch := b.waiting[seq]; ch != nil {
				close(ch)
				delete(b.waiting, seq)
			}
			b.waitMu.Unlock()
		}
	}
}

// track remembers another node's presence joins until their leaves.
func (b *ChannelBus) track(ev channel.Event) {
	b.presMu.Lock()
	defer b.presMu.Unlock()
	k := presenceKey{ev.Channel, ev.Sub}
	if ev.Kind == channel.EventLeave {
		delete(b.joins[ev.Node], k)
		if len(b.joins[ev.Node]) == 0 {
			delete(b.joins, ev.Node)
		}
		return
	}
	if b.joins[ev.Node] == nil {
		b.joins[ev.Node] = map[presenceKey]channel.Event{}
	}
	b.joins[ev.Node][k] = ev
}

// nodeGone delivers, on this node, a leave for every join of node without
// one: its subscribers are gone with it.
func (b *ChannelBus) nodeGone(node string) {
	if node == b.node {
		return
	}
	b.presMu.Lock()
	joins := b.joins[node]
	delete(b.joins, node)
	b.presMu.Unlock()
	if len(joins) == 0 {
		return
	}
	now := time.Now().UnixNano()
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed || b.deliver == nil {
		return
	}
	for _, j := range joins {
		b.deliver(channel.Event{Kind: channel.EventLeave, Channel: j.Channel, From: j.From, Node: node, Sub: j.Sub, UnixNano: now})
	}
	b.log.Info().Str("of", node).Int("members", len(joins)).Msg("presence: the members of a departed node left")
}

// Publish implements channel.Bus: it sends ev to every node and waits (at
// most busEcho, or ctx) for it to come back to this one.
func (b *ChannelBus) Publish(ctx context.Context, ev channel.Event) error {
	b.mu.RLock()
	closed := b.closed || b.deliver == nil
	b.mu.RUnlock()
	if closed {
		return channel.ErrBusClosed
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode channel event: %w", err)
	}
	seq := b.seq.Add(1)
	echo := make(chan struct{})
	b.waitMu.Lock()
	b.waiting[seq] = echo
	b.waitMu.Unlock()
	defer func() {
		b.waitMu.Lock()
		delete(b.waiting, seq)
		b.waitMu.Unlock()
	}()
	m := nats.NewMsg(b.prefix + enc(ev.Channel))
	m.Data = data
	m.Header.Set(hdrBusFrom, b.instance)
	m.Header.Set(hdrBusSeq, strconv.FormatUint(seq, 10))
	if err := b.nc.PublishMsg(m); err != nil {
		if errors.Is(err, nats.ErrConnectionClosed) {
			return channel.ErrBusClosed
		}
		return fmt.Errorf("publish channel event: %w", err)
	}
	timer := time.NewTimer(busEcho)
	defer timer.Stop()
	select {
	case <-echo:
	case <-timer.C:
		b.log.Warn().Str("channel", ev.Channel).Msg("channel event not back from NATS in time")
	case <-ctx.Done():
	}
	return nil
}

// Close implements channel.Bus: delivery stops before it returns.
func (b *ChannelBus) Close(context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	if b.sub != nil {
		_ = b.sub.Unsubscribe()
	}
	return nil
}
