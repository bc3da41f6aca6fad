package channel

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// Subscriber is one client session as the Hub sees it. The server's /ws
// session implements it, whatever transport carries the session.
type Subscriber interface {
	// Deliver hands the session one encoded tickwire.v1.Envelope to send.
	// The same bytes go to every subscriber and stay in the channel's
	// history: Deliver must not modify frame (it may keep it; the Hub never
	// reuses it). The Hub calls it with the channel's lock held, so it must
	// not block and must not call the Hub; a session that cannot keep up
	// should be closed by its own policy (the server's bounded outbox).
	// It reports false when the session is gone.
	Deliver(frame []byte) bool
	// Player is the player the session speaks for.
	Player() string
	// InRoom reports whether the session holds a seat in room roomID: the
	// room chats' policy (SeatedOnly) asks it.
	InRoom(roomID string) bool
}

// Hub holds one node's channels. Create it with NewHub, give every client
// session a Session (Hub.Session), and Close it on shutdown. Its methods
// are safe for concurrent use.
type Hub struct {
	opts    Options
	log     zerolog.Logger
	bus     Bus
	metrics *metrics
	subIDs  atomic.Uint64

	mu     sync.Mutex
	chans  map[string]*channel
	closed bool
}

// channel is one named channel on this node. Everything in it is guarded
// by mu, and every frame to its subscribers is delivered under mu: that
// gives all of them one order, and makes a subscribe (reply, history, then
// live messages) atomic with respect to publishes.
type channel struct {
	name     string
	rule     *Rule
	epoch    uint64
	keep     int // history size
	mu       sync.Mutex
	dead     bool // removed from the hub: look it up again
	seq      uint64
	history  [][]byte // ring of encoded Envelopes, len <= keep
	hstart   int
	subs     []*Session       // fan-out order
	index    map[*Session]int // position in subs
	members  map[string]*member
	lastUsed time.Time
}

// member is one player present in a presence channel.
type member struct {
	name  string
	count int // subscriptions (on every node) of this player
}

// ErrClosed is returned after Close.
var ErrClosed = errors.New("channel: hub closed")

// NewHub returns a Hub for opts, or every problem with opts. It starts
// opts.Bus.
func NewHub(opts Options) (*Hub, error) {
	opts.setDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	h := &Hub{
		opts:  opts,
		log:   opts.Logger.With().Str("component", "channels").Logger(),
		bus:   opts.Bus,
		chans: make(map[string]*channel),
	}
	var err error
	if h.metrics, err = newMetrics(opts.Registerer); err != nil {
		return nil, err
	}
	if err := h.bus.Start(h.deliver); err != nil {
		return nil, fmt.Errorf("start channel bus: %w", err)
	}
	return h, nil
}

// Close stops the Hub: further subscribes and publishes fail with
// ERROR_CODE_SHUTTING_DOWN, and the Bus is closed.
func (h *Hub) Close(ctx context.Context) error {
	h.mu.Lock()
	already := h.closed
	h.closed = true
	h.mu.Unlock()
	if already {
		return nil
	}
	return h.bus.Close(ctx)
}

// Options returns the Hub's options with defaults applied.
func (h *Hub) Options() Options { return h.opts }

// Publish sends data to channel on behalf of the server (the HTTP publish
// API, a backend): every subscriber on every node gets it once. Rules'
// Publish and Allow do not apply, but the name must match a rule and
// data must fit Options.MaxMessageBytes. source labels the metrics
// ("http", "server").
func (h *Hub) Publish(ctx context.Context, channel string, data []byte, source string) error {
	if _, err := h.check(channel); err != nil {
		h.metrics.refuse(err)
		return err
	}
	if len(data) > h.opts.MaxMessageBytes {
		err := protocol.Errorf(protocol.CodeMessageTooLarge, "%d bytes of data, the limit is %d", len(data), h.opts.MaxMessageBytes)
		h.metrics.refuse(err)
		return err
	}
	return h.publish(ctx, Event{Kind: EventMessage, Channel: channel, Data: data}, source)
}

// publish stamps ev and sends it through the Bus.
func (h *Hub) publish(ctx context.Context, ev Event, source string) error {
	if h.isClosed() {
		return protocol.Errorf(protocol.CodeShuttingDown, "server shutting down")
	}
	ev.UnixNano = time.Now().UnixNano()
	ev.Node = h.opts.Node
	if err := h.bus.Publish(ctx, ev); err != nil {
		if errors.Is(err, ErrBusClosed) {
			return protocol.Errorf(protocol.CodeShuttingDown, "server shutting down")
		}
		h.metrics.busErrors.Inc()
		h.log.Error().Err(err).Str("channel", ev.Channel).Msg("bus publish failed")
		return fmt.Errorf("publish to %q: %w", ev.Channel, err)
	}
	if ev.Kind == EventMessage {
		h.metrics.published.WithLabelValues(source).Inc()
	}
	return nil
}

func (h *Hub) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

// check validates a channel name and finds its rule.
func (h *Hub) check(name string) (*Rule, error) {
	if err := CheckName(name); err != nil {
		return nil, protocol.Errorf(protocol.CodeBadRequest, "%v", err)
	}
	r := h.opts.rule(name)
	if r == nil {
		return nil, protocol.Errorf(protocol.CodeChannelForbidden, "no channel rule covers %q (this server serves %s)", name, h.prefixes())
	}
	return r, nil
}

func (h *Hub) prefixes() string {
	s := ""
	for i, r := range h.opts.Rules {
		if i > 0 {
			s += ", "
		}
		s += r.Prefix + "…"
	}
	return s
}

// channel returns the channel called name, creating it if create is set
// (nil when it does not exist and create is not set). At MaxChannels it
// evicts the least recently used channel without subscribers, or fails.
func (h *Hub) channel(name string, r *Rule, create bool) (*channel, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ch := h.chans[name]; ch != nil || !create {
		return ch, nil
	}
	if h.closed {
		return nil, protocol.Errorf(protocol.CodeShuttingDown, "server shutting down")
	}
	if len(h.chans) >= h.opts.MaxChannels && !h.evictLocked() {
		return nil, protocol.Errorf(protocol.CodeNodeFull, "this node holds as many channels as it may (%d)", h.opts.MaxChannels)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	ch := &channel{
		name:     name,
		rule:     r,
		epoch:    binary.BigEndian.Uint64(b[:]) >> 11, // fits a float64 exactly, for JavaScript
		keep:     h.opts.history(r),
		index:    make(map[*Session]int),
		lastUsed: time.Now(),
	}
	if r.Presence {
		ch.members = make(map[string]*member)
	}
	h.chans[name] = ch
	h.metrics.channels.Inc()
	return ch, nil
}

// evictLocked drops the least recently used channel without subscribers
// or members. h.mu is held; it takes channel locks after it (the order
// everywhere is hub, then channel).
func (h *Hub) evictLocked() bool {
	var victim *channel
	var oldest time.Time
	for _, ch := range h.chans {
		ch.mu.Lock()
		idle := len(ch.subs) == 0 && len(ch.members) == 0
		used := ch.lastUsed
		ch.mu.Unlock()
		if idle && (victim == nil || used.Before(oldest)) {
			victim, oldest = ch, used
		}
	}
	if victim == nil {
		return false
	}
	victim.mu.Lock()
	victim.dead = true
	victim.mu.Unlock()
	delete(h.chans, victim.name)
	h.metrics.channels.Dec()
	h.metrics.evicted.Inc()
	return true
}

// dropIfIdle removes ch when it has no subscribers, members or history.
func (h *Hub) dropIfIdle(ch *channel) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.dead || len(ch.subs) > 0 || len(ch.members) > 0 || len(ch.history) > 0 || h.chans[ch.name] != ch {
		return
	}
	ch.dead = true
	delete(h.chans, ch.name)
	h.metrics.channels.Dec()
}

// deliver is the Bus's callback: one event from some node, to this node's
// subscribers.
func (h *Hub) deliver(ev Event) {
	r := h.opts.rule(ev.Channel)
	if r == nil || CheckName(ev.Channel) != nil {
		h.metrics.busDropped.Inc()
		return
	}
	switch ev.Kind {
	case EventMessage:
		h.deliverMessage(r, ev)
	case EventJoin, EventLeave:
		if r.Presence {
			h.deliverPresence(r, ev)
		}
	default:
		h.metrics.busDropped.Inc()
	}
}

func (h *Hub) deliverMessage(r *Rule, ev Event) {
	for {
		// A channel without history and without subscribers needs no
		// state for a message: nobody hears it and nobody will.
		ch, err := h.channel(ev.Channel, r, h.opts.history(r) > 0)
		if err != nil {
			h.metrics.busDropped.Inc()
			return
		}
		if ch == nil {
			h.metrics.messages.Inc()
			return
		}
		ch.mu.Lock()
		if ch.dead {
			ch.mu.Unlock()
			continue
		}
		start := time.Now()
		ch.seq++
		frame, err := protocol.Append(nil, &protocol.Envelope{Msg: &tickwirev1.Envelope_ChannelMessage{ChannelMessage: &tickwirev1.ChannelMessage{
			Channel:            ch.name,
			Seq:                ch.seq,
			From:               ev.From,
			Data:               ev.Data,
			ServerTimeUnixNano: ev.UnixNano,
		}}})
		if err != nil { // cannot happen for these fields; keep seq dense anyway
			ch.seq--
			ch.mu.Unlock()
			h.log.Error().Err(err).Str("channel", ch.name).Msg("encode channel message")
			return
		}
		ch.remember(frame)
		ch.lastUsed = start
		n := ch.fanOut(frame)
		ch.mu.Unlock()
		h.metrics.messages.Inc()
		h.metrics.deliveries.Add(float64(n))
		h.metrics.fanout.Observe(time.Since(start).Seconds())
		return
	}
}

// remember keeps frame in the history ring. ch.mu is held.
func (ch *channel) remember(frame []byte) {
	if ch.keep <= 0 {
		return
	}
	if len(ch.history) < ch.keep {
		ch.history = append(ch.history, frame)
		return
	}
	ch.history[ch.hstart] = frame
	ch.hstart = (ch.hstart + 1) % ch.keep
}

// eachHistory calls f for the history, oldest first. ch.mu is held.
func (ch *channel) eachHistory(f func([]byte)) {
	for i := range ch.history {
		f(ch.history[(ch.hstart+i)%len(ch.history)])
	}
}

// fanOut gives frame to every subscriber; ch.mu is held.
func (ch *channel) fanOut(frame []byte) int {
	for _, s := range ch.subs {
		s.sub.Deliver(frame)
	}
	return len(ch.subs)
}

func (h *Hub) deliverPresence(r *Rule, ev Event) {
	for {
		ch, err := h.channel(ev.Channel, r, ev.Kind == EventJoin)
		if err != nil {
			h.metrics.busDropped.Inc()
			return
		}
		if ch == nil {
			return // a leave for a channel this node no longer has
		}
		ch.mu.Lock()
		if ch.dead {
			ch.mu.Unlock()
			continue
		}
		m := ch.members[ev.From]
		changed := false
		if ev.Kind == EventJoin {
			if m == nil {
				m = &member{name: displayName(ev.Name)}
				ch.members[ev.From] = m
				changed = true
			}
			m.count++
		} else if m != nil {
			m.count--
			if m.count <= 0 {
				delete(ch.members, ev.From)
				changed = true
			}
		}
		n := 0
		if changed {
			frame, err := protocol.Append(nil, &protocol.Envelope{Msg: &tickwirev1.Envelope_Presence{Presence: &tickwirev1.Presence{
				Channel: ch.name,
				Member:  &tickwirev1.PresenceMember{PlayerId: ev.From, Name: m.name},
				Left:    ev.Kind == EventLeave,
			}}})
			if err == nil {
				n = ch.fanOut(frame)
			}
		}
		ch.lastUsed = time.Now()
		ch.mu.Unlock()
		if changed {
			h.metrics.presence.Inc()
			h.metrics.deliveries.Add(float64(n))
		}
		if ev.Kind == EventLeave {
			h.dropIfIdle(ch)
		}
		return
	}
}

// membersLocked lists ch's members by player id. ch.mu is held.
func (ch *channel) membersLocked() []*tickwirev1.PresenceMember {
	if len(ch.members) == 0 {
		return nil
	}
	out := make([]*tickwirev1.PresenceMember, 0, len(ch.members))
	for id, m := range ch.members {
		out = append(out, &tickwirev1.PresenceMember{PlayerId: id, Name: m.name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PlayerId < out[j].PlayerId })
	return out
}

// Stats describes one channel on this node.
type Stats struct {
	Subscribers int
	Members     int
	History     int
	LastSeq     uint64
}

// Stats reports channel's state on this node (false when it does not exist).
func (h *Hub) Stats(channel string) (Stats, bool) {
	h.mu.Lock()
	ch := h.chans[channel]
	h.mu.Unlock()
	if ch == nil {
		return Stats{}, false
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return Stats{Subscribers: len(ch.subs), Members: len(ch.members), History: len(ch.history), LastSeq: ch.seq}, true
}
