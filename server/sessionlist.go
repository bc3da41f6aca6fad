package server

import (
	"slices"
	"time"
)

// SessionInfo describes one open session, for operators (the admin API's
// session list).
type SessionInfo struct {
	// ID is the session's id, as its Welcome gave it.
	ID string
	// Player is the session's player; empty on /echo.
	Player string
	// Endpoint is "ws" (the game, WebSocket or fallback) or "echo".
	Endpoint string
	// Remote is the peer's address.
	Remote string
	// Opened is when the session was opened.
	Opened time.Time
	// Rooms are the rooms the session has a seat in, sorted.
	Rooms []string
}

// Sessions lists the open sessions, oldest first. It copies what it
// reports; the sessions go on meanwhile.
func (s *Server) Sessions() []SessionInfo {
	list := s.snapshotSessions()
	out := make([]SessionInfo, 0, len(list))
	for _, sess := range list {
		info := SessionInfo{ID: sess.id, Endpoint: sess.endpoint, Remote: sess.remote, Opened: sess.opened}
		if g := sess.game; g != nil {
			g.mu.Lock()
			info.Player = g.player
			for id := range g.rooms {
				info.Rooms = append(info.Rooms, id)
			}
			g.mu.Unlock()
			slices.Sort(info.Rooms)
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b SessionInfo) int { return a.Opened.Compare(b.Opened) })
	return out
}
