package server

import (
	"github.com/tickwire/tickwire/server/internal/wsframe"

	"github.com/tickwire/tickwire/channel"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// initChannels creates the pub/sub hub (Options.Channels) with its metrics
// on the server's registry, and mounts the HTTP publish API. New calls it.
func (s *Server) initChannels() error {
	o := s.opts.Channels
	o.Logger = s.opts.Logger
	if o.Registerer == nil {
		o.Registerer = s.opts.Registry
	}
	hub, err := channel.NewHub(o)
	if err != nil {
		return err
	}
	s.channels = hub
	if err := s.initPublish(); err != nil {
		return err
	}
	// After the user's hooks? Before: publishes racing the shutdown then
	// fail with shutting_down instead of reaching half-closed sessions.
	s.closers = append(s.closers, hub.Close)
	return nil
}

// Channels is the server's pub/sub hub: in-process code publishes with
// Channels().Publish (the HTTP API does the same).
func (s *Server) Channels() *channel.Hub { return s.channels }

// chanSub is a session's face on the hub.
type chanSub struct{ s *session }

var _ channel.Subscriber = chanSub{}

// Deliver implements channel.Subscriber: the frame goes through the
// session's outbound path like every control message (bounded outbox,
// 4001 for a reader that does not keep up).
func (c chanSub) Deliver(frame []byte) bool { return c.s.send(wsframe.OpBinary, frame) }

// Player implements channel.Subscriber.
func (c chanSub) Player() string { return c.s.game.playerID() }

// InRoom implements channel.Subscriber: the session's seats mirror the
// room runtime's (registered on join, removed on Left).
func (c chanSub) InRoom(roomID string) bool {
	g := c.s.game
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.rooms[roomID]
	return ok
}

// chanSession returns the session's hub face, made on first use.
func (s *Server) chanSession(sess *session) *channel.Session {
	g := sess.game
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.chans == nil {
		g.chans = s.channels.Session(chanSub{sess})
	}
	return g.chans
}

// serveChannel handles Subscribe, Unsubscribe and Publish envelopes.
func (s *Server) serveChannel(sess *session, env *protocol.Envelope) {
	cs := s.chanSession(sess)
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
	s.chanSession(sess).Close()
}

// leftRoom ends the session's subscription to the chat of a room it no
// longer has a seat in.
func (s *Server) leftRoom(sess *session, roomID string) {
	g := sess.game
	g.mu.Lock()
	cs := g.chans
	g.mu.Unlock()
	if cs != nil {
		cs.Revoke(channel.RoomChat(roomID), protocol.CodeNotInRoom, "left the room")
	}
}
