package crossword

import (
	"context"
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
// failed) is not restarted by itself.
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
		if _, err := lob.Adopt(ctx, h, false); err != nil {
			_ = h.Close(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("open the crossword world: %w", err)
		}
	}
	return h, nil
}
