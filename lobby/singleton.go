package lobby

import (
	"context"
	"errors"
	"fmt"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/tick"
)

// ErrSingletonElsewhere is OpenSingleton's answer on a cluster node when
// another node runs the game's room already: the game's join code is
// taken in the directory by a room of that game. Players who ask this node
// for it are sent there (a /ws join answers ROOM_ELSEWHERE with the URL of
// its node).
var ErrSingletonElsewhere = errors.New("lobby: the singleton room runs on another node of the cluster")

// OpenSingleton returns the one room of game, a singleton game
// (tick.GameInfo.Singleton), on this node, starting it when none runs here
// and adopting it under the game's SingletonCode: listed, joined by
// quick-join or by that code, never closed for being idle, forgotten when
// it ends. A room that ends is not restarted by itself; calling
// OpenSingleton again starts a new one. tickwire.NewNode calls it for
// every singleton game at start.
//
// It fails with ErrGameNotFound, ErrBadRequest (not a singleton game),
// ErrSingletonElsewhere, or the room's own start error (its Init's), with
// the game named.
func (l *Lobby) OpenSingleton(ctx context.Context, game string) (*tick.Handle, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	g, err := l.game(game)
	if err != nil {
		return nil, err
	}
	if !g.Singleton {
		return nil, fail(ErrBadRequest, "game %s is not a singleton game", g.Name)
	}
	mu := l.quickLock(g.Name) // quick-joins of the game wait for it
	mu.Lock()
	defer mu.Unlock()
	for _, info := range l.rooms.List(g.Name) {
		if h, err := l.rooms.Get(info.ID); err == nil {
			return h, nil
		}
	}
	// Another node's room first: not worth starting one (a world loaded
	// from disk, say) only to close it again.
	if err := l.singletonElsewhere(ctx, g); err != nil {
		return nil, err
	}
	h, err := l.rooms.Create(ctx, g.Name, tick.RoomOptions{})
	if err != nil {
		return nil, fmt.Errorf("open the singleton room of %s: %w", g.Name, err)
	}
	if _, err := l.AdoptAs(ctx, h, false, g.SingletonCode); err != nil {
		_ = h.Close(context.WithoutCancel(ctx))
		if errors.Is(err, ErrJoinCodeTaken) {
			if e := l.singletonElsewhere(ctx, g); e != nil {
				return nil, e // another node won the race
			}
		}
		return nil, fmt.Errorf("open the singleton room of %s: %w", g.Name, err)
	}
	l.log.Info().Str("game", g.Name).Str("room", h.ID()).Str("code", g.SingletonCode).Msg("singleton room opened")
	return h, nil
}

// singletonElsewhere returns ErrSingletonElsewhere, naming the node, when
// the directory has a room of g under g's code on another node.
func (l *Lobby) singletonElsewhere(ctx context.Context, g tick.GameInfo) error {
	rec, err := l.dir.RoomByCode(ctx, g.SingletonCode)
	switch {
	case errors.Is(err, ErrRoomNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("open the singleton room of %s: %w", g.Name, err)
	case rec.Game == g.Name && rec.Node != l.opts.Node:
		return fmt.Errorf("%s: room %s on node %s: %w", g.Name, rec.ID, rec.Node, ErrSingletonElsewhere)
	case rec.Game != g.Name:
		return fail(ErrBadRequest, "open the singleton room of %s: join code %s is taken by room %s of game %s", g.Name, g.SingletonCode, rec.ID, rec.Game)
	}
	return nil // a room of this node under the code: ended, being forgotten
}

// quickJoinSingleton seats player in the room of g, a singleton game: the
// one the directory has under g's code, wherever it runs. It never
// creates one (tickwire.NewNode opens it at start): without it the player
// gets ErrRoomNotFound. The caller holds player's admission lock and
// checked he is free.
func (l *Lobby) quickJoinSingleton(ctx context.Context, player string, g tick.GameInfo) (*tickwirev1.Grant, error) {
	rec, err := l.dir.RoomByCode(ctx, g.SingletonCode)
	if errors.Is(err, ErrRoomNotFound) || (err == nil && rec.Game != g.Name) {
		return nil, fail(ErrRoomNotFound, "the room of game %s is not running", g.Name)
	}
	if err != nil {
		return nil, err
	}
	// Seats reserved count as taken, as for quick-join's other rooms.
	if players, running := l.livePlayers(rec); running && max(players, rec.Seats) >= rec.MaxPlayers {
		return nil, fail(ErrRoomFull, "room %s of game %s is full (%d players)", rec.ID, g.Name, rec.MaxPlayers)
	}
	return l.reserve(ctx, player, rec, false)
}

// refuseSingleton is the answer to a request for a new room of g when g
// is a singleton game, nil otherwise.
func refuseSingleton(g tick.GameInfo) error {
	if !g.Singleton {
		return nil
	}
	return fail(ErrBadRequest, "game %s has one room: join it with quick-join or join code %s", g.Name, g.SingletonCode)
}
