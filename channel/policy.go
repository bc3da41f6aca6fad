package channel

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tickwire/tickwire/protocol"
)

// Action is what a session asks to do on a channel.
type Action uint8

// The actions a Rule's Allow is asked about.
const (
	ActionSubscribe Action = iota + 1
	ActionPublish
)

func (a Action) String() string {
	if a == ActionPublish {
		return "publish"
	}
	return "subscribe"
}

// Rule governs the channels whose names start with Prefix. The Hub uses
// the first rule that matches a name; a name no rule matches is refused
// with ERROR_CODE_CHANNEL_FORBIDDEN.
type Rule struct {
	// Prefix selects the channels, e.g. "chat:".
	Prefix string
	// Publish lets sessions publish. Without it only the server publishes
	// (Hub.Publish, the HTTP publish API): a feed.
	Publish bool
	// Presence tracks who is subscribed and tells subscribers about joins
	// and leaves.
	Presence bool
	// History is how many of the latest messages a late joiner gets:
	// 0 means Options.History, a negative number none.
	History int
	// Allow, when set, is asked before every subscribe and every session's
	// publish (never for Hub.Publish). It runs on the requesting session's
	// goroutine and must not block. A non-nil error refuses: a
	// *protocol.Error goes to the client as it is, any other error as
	// ERROR_CODE_CHANNEL_FORBIDDEN with its text.
	Allow func(who Subscriber, channel string, act Action) error
}

// RoomChatPrefix starts the name of every room's chat channel.
const RoomChatPrefix = "room:"

// RoomChat is the name of room roomID's chat channel: "room:<id>:chat".
func RoomChat(roomID string) string { return RoomChatPrefix + roomID + ":chat" }

// RoomOfChat returns the room of a room chat channel's name.
func RoomOfChat(channel string) (roomID string, ok bool) {
	rest, ok := strings.CutPrefix(channel, RoomChatPrefix)
	if !ok {
		return "", false
	}
	roomID, ok = strings.CutSuffix(rest, ":chat")
	return roomID, ok && roomID != "" && !strings.Contains(roomID, ":")
}

// SeatedOnly is the Allow of room chats: only players seated in the room
// (Subscriber.InRoom) subscribe and publish. When a player leaves the
// room the server ends his subscription (Session.Revoke).
func SeatedOnly(who Subscriber, channel string, _ Action) error {
	room, ok := RoomOfChat(channel)
	if !ok {
		return protocol.Errorf(protocol.CodeChannelForbidden, "%q is not a room chat (want room:<id>:chat)", channel)
	}
	if !who.InRoom(room) {
		return protocol.Errorf(protocol.CodeChannelForbidden, "the chat of room %q is for its seated players only", room)
	}
	return nil
}

// DefaultRules are the Hub's rules unless Options.Rules says otherwise:
//
//   - "room:<id>:chat": a room's chat; only its seated players subscribe
//     and publish; presence; history.
//   - "chat:…": open chat; anyone subscribes and publishes; presence; history.
//   - "feed:…": a feed; anyone subscribes, only the server publishes
//     (HTTP publish API); history, no presence.
func DefaultRules() []Rule {
	return []Rule{
		{Prefix: RoomChatPrefix, Publish: true, Presence: true, Allow: SeatedOnly},
		{Prefix: "chat:", Publish: true, Presence: true},
		{Prefix: "feed:", Publish: false},
	}
}

// MaxNameBytes is the longest channel name.
const MaxNameBytes = 128

// MaxDisplayName is the most characters a presence display name keeps.
const MaxDisplayName = 32

// errBadName is wrapped by CheckName's errors.
var errBadName = errors.New("bad channel name")

// CheckName reports whether name is a valid channel name: 1 to 128 bytes
// of ASCII letters, digits and "_-.:@/".
func CheckName(name string) error {
	if name == "" || len(name) > MaxNameBytes {
		return fmt.Errorf("%w: want 1 to %d bytes, got %d", errBadName, MaxNameBytes, len(name))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_' || c == '-' || c == '.' || c == ':' || c == '@' || c == '/':
		default:
			return fmt.Errorf("%w: %q has a character outside [A-Za-z0-9_.:@/-]", errBadName, name)
		}
	}
	return nil
}

// displayName trims and caps a presence display name.
func displayName(s string) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "")))
	if r := []rune(s); len(r) > MaxDisplayName {
		s = string(r[:MaxDisplayName])
	}
	return s
}
