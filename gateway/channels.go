package gateway

import (
	"context"

	"github.com/tickwire/tickwire/channel"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server"
)

// Channels returns h's face for server.Options.Channels. The hub stays
// its maker's to close (tickwire.NewNode closes it first in the shutdown
// order, so publishes racing the shutdown fail with shutting_down instead
// of reaching half-closed sessions).
func Channels(h *channel.Hub) server.Channels { return hubEdge{h} }

// hubEdge is a *channel.Hub as the edge sees it.
type hubEdge struct{ h *channel.Hub }

var _ server.Channels = hubEdge{}

// Session implements server.Channels. A server.ChannelSubscriber has
// channel.Subscriber's method set.
func (e hubEdge) Session(sub server.ChannelSubscriber) server.ChannelSession {
	return sessionEdge{e.h.Session(sub)}
}

// Publish implements server.Channels.
func (e hubEdge) Publish(ctx context.Context, name string, data []byte, source string) error {
	return e.h.Publish(ctx, name, data, source)
}

// RoomChat implements server.Channels.
func (hubEdge) RoomChat(roomID string) string { return channel.RoomChat(roomID) }

// MaxMessageBytes implements server.Channels.
func (e hubEdge) MaxMessageBytes() int { return e.h.Options().MaxMessageBytes }

// sessionEdge is a *channel.Session as the edge sees it.
type sessionEdge struct{ *channel.Session }

// LeftRoom implements server.ChannelSession: the room's chat ends with
// ERROR_CODE_NOT_IN_ROOM.
func (s sessionEdge) LeftRoom(roomID string) {
	s.Revoke(channel.RoomChat(roomID), protocol.CodeNotInRoom, "left the room")
}
