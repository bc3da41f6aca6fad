package channel

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/time/rate"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// Session is one client session's face on the Hub: its subscriptions, its
// publish rate limit. The server makes one per session (Hub.Session) and
// calls Close when the session ends. Replies and errors of requests that
// succeed are delivered by the Session itself, in order with the channel's
// messages; a returned error is for the caller to send (with the request's
// ref).
type Session struct {
	hub     *Hub
	sub     Subscriber
	limiter *rate.Limiter

	mu     sync.Mutex
	subs   map[string]*subscription // by channel name; nil value: being set up
	closed bool
}

// subscription is one channel a session is subscribed to.
type subscription struct {
	ch       *channel
	presence bool
	player   string // the member it joined as
	id       uint64 // Event.Sub
}

// Session returns the Hub face of one client session.
func (h *Hub) Session(sub Subscriber) *Session {
	return &Session{
		hub:     h,
		sub:     sub,
		limiter: rate.NewLimiter(h.opts.PublishRate, h.opts.PublishBurst),
		subs:    make(map[string]*subscription),
	}
}

// Subscriptions returns how many channels the session is subscribed to.
func (s *Session) Subscriptions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}

// Subscribe subscribes the session to a channel: it delivers a
// ChannelReply (with ref, the members of a presence channel and the
// history count), the history, oldest first, and from then on every
// message, each exactly once. On a presence channel the session's player
// then joins. name is the display name for presence.
func (s *Session) Subscribe(ref uint32, channelName, name string) error {
	h := s.hub
	r, err := h.check(channelName)
	if err == nil && r.Allow != nil {
		err = allowed(r.Allow(s.sub, channelName, ActionSubscribe))
	}
	if err != nil {
		h.metrics.refuse(err)
		return err
	}
	s.mu.Lock()
	switch _, dup := s.subs[channelName]; {
	case s.closed:
		err = protocol.Errorf(protocol.CodeShuttingDown, "session closed")
	case dup:
		err = protocol.Errorf(protocol.CodeBadRequest, "already subscribed to %q", channelName)
	case len(s.subs) >= h.opts.MaxSubscriptions:
		err = protocol.Errorf(protocol.CodeSubscriptionLimit, "at most %d subscriptions per session", h.opts.MaxSubscriptions)
	default:
		s.subs[channelName] = nil // reserve the slot
	}
	s.mu.Unlock()
	if err != nil {
		h.metrics.refuse(err)
		return err
	}
	player := s.sub.Player()
	sb := &subscription{presence: r.Presence, player: player, id: h.subIDs.Add(1)}
	for {
		ch, err := h.channel(channelName, r, true)
		if err != nil {
			s.mu.Lock()
			delete(s.subs, channelName)
			s.mu.Unlock()
			h.metrics.refuse(err)
			return err
		}
		ch.mu.Lock()
		if ch.dead {
			ch.mu.Unlock()
			continue
		}
		reply, err := protocol.Append(nil, &protocol.Envelope{Ref: ref, Msg: &tickwirev1.Envelope_ChannelReply{ChannelReply: &tickwirev1.ChannelReply{
			Channel: channelName,
			Members: ch.membersLocked(),
			History: uint32(len(ch.history)),
			Epoch:   ch.epoch,
			LastSeq: ch.seq,
		}}})
		if err != nil {
			ch.mu.Unlock()
			s.mu.Lock()
			delete(s.subs, channelName)
			s.mu.Unlock()
			return err
		}
		ch.index[s] = len(ch.subs)
		ch.subs = append(ch.subs, s)
		ch.lastUsed = time.Now()
		s.sub.Deliver(reply)
		ch.eachHistory(func(f []byte) { s.sub.Deliver(f) })
		n := len(ch.history)
		ch.mu.Unlock()
		sb.ch = ch
		h.metrics.subscriptions.Inc()
		h.metrics.deliveries.Add(float64(n))
		break
	}
	s.mu.Lock()
	closed := s.closed
	if !closed {
		s.subs[channelName] = sb
	}
	s.mu.Unlock()
	if closed { // closed while subscribing: Close did not see it
		sb.presence = false // it never joined
		s.drop(sb, nil)
		return nil
	}
	// A Left may have raced the policy check above (the server revokes
	// room chats on Left, which missed this subscription): ask again.
	if r.Allow != nil && r.Allow(s.sub, channelName, ActionSubscribe) != nil {
		sb.presence = false
		s.Revoke(channelName, protocol.CodeChannelForbidden, "no longer allowed")
		return nil
	}
	if sb.presence {
		if err := h.publish(context.Background(), Event{Kind: EventJoin, Channel: channelName, From: player, Name: name, Sub: sb.id}, ""); err != nil {
			h.log.Debug().Err(err).Str("channel", channelName).Msg("presence join not published")
		}
	}
	return nil
}

// Unsubscribe ends a subscription; the ChannelReply (with ref) is the
// last frame of that channel the session gets.
func (s *Session) Unsubscribe(ref uint32, channelName string) error {
	return s.end(channelName, &protocol.Envelope{Ref: ref, Msg: &tickwirev1.Envelope_ChannelReply{ChannelReply: &tickwirev1.ChannelReply{Channel: channelName}}})
}

// Revoke ends a subscription on the server's initiative (the player left
// the room of a room chat): the client gets a ChannelReply with ended,
// code and reason. It does nothing when the session is not subscribed.
func (s *Session) Revoke(channelName string, code tickwirev1.ErrorCode, reason string) {
	_ = s.end(channelName, &protocol.Envelope{Msg: &tickwirev1.Envelope_ChannelReply{ChannelReply: &tickwirev1.ChannelReply{
		Channel: channelName, Ended: true, Code: code, Reason: reason,
	}}})
}

func (s *Session) end(channelName string, reply *protocol.Envelope) error {
	s.mu.Lock()
	sb, ok := s.subs[channelName]
	if ok && sb != nil {
		delete(s.subs, channelName)
	}
	s.mu.Unlock()
	if !ok || sb == nil {
		err := protocol.Errorf(protocol.CodeNotSubscribed, "not subscribed to %q", channelName)
		s.hub.metrics.refuse(err)
		return err
	}
	s.drop(sb, reply)
	return nil
}

// drop removes the session from sb's channel, delivering reply (if any)
// as its last frame there, then publishes the presence leave.
func (s *Session) drop(sb *subscription, reply *protocol.Envelope) {
	h := s.hub
	ch := sb.ch
	ch.mu.Lock()
	if i, ok := ch.index[s]; ok {
		last := len(ch.subs) - 1
		ch.subs[i] = ch.subs[last]
		ch.index[ch.subs[i]] = i
		ch.subs[last] = nil
		ch.subs = ch.subs[:last]
		delete(ch.index, s)
		h.metrics.subscriptions.Dec()
	}
	if reply != nil {
		if frame, err := protocol.Append(nil, reply); err == nil {
			s.sub.Deliver(frame)
		}
	}
	ch.lastUsed = time.Now()
	ch.mu.Unlock()
	if sb.presence {
		ev := Event{Kind: EventLeave, Channel: ch.name, From: sb.player, Sub: sb.id}
		if err := h.publish(context.Background(), ev, ""); err != nil {
			// The bus is closed (shutdown) or failing: keep this node's
			// member count right at least.
			h.deliver(ev)
		}
		return
	}
	h.dropIfIdle(ch)
}

// Publish publishes data to a channel for the session's player, if the
// channel's rule lets sessions publish, data fits, and the session is
// within its publish rate. With a ref, a ChannelReply acknowledges it
// (after the message went out to every subscriber of this node).
func (s *Session) Publish(ref uint32, channelName string, data []byte) error {
	h := s.hub
	r, err := h.check(channelName)
	switch {
	case err != nil:
	case !r.Publish:
		err = protocol.Errorf(protocol.CodeChannelForbidden, "only the server publishes on %q", channelName)
	case len(data) > h.opts.MaxMessageBytes:
		err = protocol.Errorf(protocol.CodeMessageTooLarge, "%d bytes of data, the limit is %d", len(data), h.opts.MaxMessageBytes)
	case r.Allow != nil:
		err = allowed(r.Allow(s.sub, channelName, ActionPublish))
	}
	if err == nil && !s.limiter.Allow() {
		err = protocol.Errorf(protocol.CodeRateLimited, "over %g publishes/s (burst %d): message dropped", float64(h.opts.PublishRate), h.opts.PublishBurst)
	}
	if err != nil {
		h.metrics.refuse(err)
		return err
	}
	if err := h.publish(context.Background(), Event{Kind: EventMessage, Channel: channelName, From: s.sub.Player(), Data: data}, "ws"); err != nil {
		return err
	}
	if ref != 0 {
		if frame, err := protocol.Append(nil, &protocol.Envelope{Ref: ref, Msg: &tickwirev1.Envelope_ChannelReply{ChannelReply: &tickwirev1.ChannelReply{Channel: channelName}}}); err == nil {
			s.sub.Deliver(frame)
		}
	}
	return nil
}

// Close ends every subscription of the session (without replies: the
// session is gone) and refuses further requests.
func (s *Session) Close() {
	s.mu.Lock()
	s.closed = true
	subs := s.subs
	s.subs = nil
	s.mu.Unlock()
	for _, sb := range subs {
		if sb != nil {
			s.drop(sb, nil)
		}
	}
}

// allowed turns a Rule.Allow error into a wire error.
func allowed(err error) error {
	if err == nil {
		return nil
	}
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe
	}
	return protocol.Errorf(protocol.CodeChannelForbidden, "%v", err)
}
