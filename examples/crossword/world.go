package crossword

import (
	"context"
	"errors"
	"fmt"

	"github.com/tickwire/tickwire/lobby"
	"github.com/tickwire/tickwire/tick"
)

// OpenWorld returns the crossword's one world room in rooms, starting it
// when none runs (which loads the snapshot: a corrupt one fails here, with
// the file named). A new room is adopted by lob, if not nil, so that the
// room browser lists it and quick-join finds it. Register the game in
// rooms' registry first.
//
// A server calls it once at start; a world room that ends (say, it
// failed) is not restarted by itself. In a cluster only one node runs the
// world (see WorldCode).
func OpenWorld(ctx context.Context, rooms *tick.Rooms, lob *lobby.Lobby) (*tick.Handle, error) {
	for _, info := range rooms.List(Name) {
		if h, err := rooms.Get(info.ID); err == nil {
			return h, nil
		}
	}
	h, err := rooms.Create(ctx, Name, tick.RoomOptions{})
	if err != nil {
		return nil, fmt.Errorf("open the crossword world: %w", err)
	}
	if lob != nil {
		if _, err := lob.AdoptAs(ctx, h, false, WorldCode); err != nil {
			_ = h.Close(context.WithoutCancel(ctx))
			if errors.Is(err, lobby.ErrJoinCodeTaken) {
				return nil, ErrWorldElsewhere
			}
			return nil, fmt.Errorf("open the crossword world: %w", err)
		}
	}
	return h, nil
}

// WorldCode is the world room's join code. Join codes are unique among the
// live rooms of a lobby's directory, so in a cluster exactly one node runs
// the world: OpenWorld on the others returns ErrWorldElsewhere, and their
// players are sent to it (a /ws join answers ROOM_ELSEWHERE with its node's
// URL; the page goes there).
const WorldCode = "WORLD"

// ErrWorldElsewhere is OpenWorld's answer on a cluster node when another
// node runs the world already.
var ErrWorldElsewhere = errors.New("the crossword world runs on another node of the cluster")
