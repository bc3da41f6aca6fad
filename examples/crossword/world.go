package crossword

import (
	"context"
	"fmt"

	"github.com/tickwire/tickwire/lobby"
	"github.com/tickwire/tickwire/tick"
)

// OpenWorld returns the crossword's one world room in rooms, starting it
// when none runs (which loads the snapshot: a corrupt one fails here, with
// the file named). With lob it is lob.OpenSingleton(ctx, Name): the room
// is adopted under WorldCode, listed and found by quick-join, and on a
// cluster node whose directory has the world on another node it returns
// ErrWorldElsewhere. Register the game in rooms' registry first.
//
// The crossword is a singleton game (Info sets tick.GameInfo.Singleton),
// so tickwire.NewNode opens its world at start (see Node.Singleton);
// OpenWorld is for programs that assemble tick.Rooms and a lobby
// themselves, or run rooms without a lobby (the bench's server).
func OpenWorld(ctx context.Context, rooms *tick.Rooms, lob *lobby.Lobby) (*tick.Handle, error) {
	if lob != nil {
		return lob.OpenSingleton(ctx, Name)
	}
	for _, info := range rooms.List(Name) {
		if h, err := rooms.Get(info.ID); err == nil {
			return h, nil
		}
	}
	h, err := rooms.Create(ctx, Name, tick.RoomOptions{})
	if err != nil {
		return nil, fmt.Errorf("open the crossword world: %w", err)
	}
	return h, nil
}

// WorldCode is the world room's join code, its tick.GameInfo.SingletonCode.
// Join codes are unique among the live rooms of a lobby's directory, so in
// a cluster exactly one node runs the world; the others' players are sent
// to it (a /ws join answers ROOM_ELSEWHERE with its node's URL; the page
// goes there).
const WorldCode = "WORLD"

// ErrWorldElsewhere is OpenWorld's answer on a cluster node when another
// node runs the world already: lobby.ErrSingletonElsewhere, which
// Node.Singleton and Lobby.OpenSingleton return.
var ErrWorldElsewhere = lobby.ErrSingletonElsewhere
