package server

import (
	"context"

	"github.com/tickwire/tickwire/server/internal/wsframe"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// Channels is the pub/sub hub as the edge sees it: a face per /ws session
// for its Subscribe, Unsubscribe and Publish envelopes, and publishing on
// the server's behalf for POST /publish. gateway.Channels gives a
// *channel.Hub this face; whoever made the hub closes it.
type Channels interface {
	// Session returns the hub face of one session, made on its first
	// channel request.
	Session(sub ChannelSubscriber) ChannelSession
	// Publish sends data to channel on the server's behalf (source names
	// the publisher in logs and metrics).
	Publish(ctx context.Context, channel string, data []byte, source string) error
	// RoomChat names the chat channel of a room ("room" in POST /publish).
	RoomChat(roomID string) string
	// MaxMessageBytes is the most data one message may carry.
	MaxMessageBytes() int
}

// ChannelSession is one session's subscriptions (channel.Session).
type ChannelSession interface {
	Subscribe(ref uint32, channel, name string) error
	Unsubscribe(ref uint32, channel string) error
	Publish(ref uint32, channel string, data []byte) error
	// LeftRoom ends the subscription to the chat of a room the session
	// no longer has a seat in.
	LeftRoom(roomID string)
	// Close ends every subscription (the session closed).
	Close()
}

// ChannelSubscriber is a session as the hub sees it (channel.Subscriber's
// method set).
type ChannelSubscriber interface {
	// Deliver queues one encoded Envelope for the session; false: the
	// session is closing.
	Deliver(frame []byte) bool
	// Player is the session's player.
	Player() string
	// InRoom reports whether the session has a seat in room roomID.
	InRoom(roomID string) bool
}

// chanSub is a session's face on the hub.
type chanSub struct{ s *session }

var _ ChannelSubscriber = chanSub{}

// Deliver implements ChannelSubscriber: the frame goes through the
// session's outbound path like every control message (bounded outbox,
// 4001 for a reader that does not keep up).
func (c chanSub) Deliver(frame []byte) bool { return c.s.send(wsframe.OpBinary, frame) }

// Player implements ChannelSubscriber.
func (c chanSub) Player() string { return c.s.game.playerID() }

// InRoom implements ChannelSubscriber: the session's seats mirror the
// room runtime's (registered on join, removed on Left).
func (c chanSub) InRoom(roomID string) bool {
	g := c.s.game
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.rooms[roomID]
	return ok
}

// chanSession returns the session's hub face, made on first use; nil
// without Options.Channels.
func (s *Server) chanSession(sess *session) ChannelSession {
	if s.opts.Channels == nil {
		return nil
	}
	g := sess.game
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.chans == nil {
		g.chans = s.opts.Channels.Session(chanSub{sess})
	}
	return g.chans
}

// serveChannel handles Subscribe, Unsubscribe and Publish envelopes.
func (s *Server) serveChannel(sess *session, env *protocol.Envelope) {
	cs := s.chanSession(sess)
	if cs == nil {
		sess.sendError(env.Ref, protocol.Errorf(protocol.CodeBadRequest, "this server has no channels"))
		return
	}
	var err error
	switch m := env.Msg.(type) {
	case *tickwirev1.Envelope_Subscribe:
		err = cs.Subscribe(env.Ref, m.Subscribe.Channel, m.Subscribe.Name)
	case *tickwirev1.Envelope_Unsubscribe:
		err = cs.Unsubscribe(env.Ref, m.Unsubscribe.Channel)
	case *tickwirev1.Envelope_Publish:
		err = cs.Publish(env.Ref, m.Publish.Channel, m.Publish.Data)
	}
	if err != nil {
		sess.sendError(env.Ref, s.wireError(sess, err))
	}
}

// closeChannels ends a closed session's subscriptions (presence leaves
// follow); requests racing it are refused.
func (s *Server) closeChannels(sess *session) {
	if cs := s.chanSession(sess); cs != nil {
		cs.Close()
	}
}

// leftRoom ends the session's subscription to the chat of a room it no
// longer has a seat in.
func (s *Server) leftRoom(sess *session, roomID string) {
	g := sess.game
	g.mu.Lock()
	cs := g.chans
	g.mu.Unlock()
	if cs != nil {
		cs.LeftRoom(roomID)
	}
}
