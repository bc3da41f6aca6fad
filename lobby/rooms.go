package lobby

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/tick"
)

// ListRooms returns the public rooms of game (of every game when game is
// empty), oldest first, with their live player counts.
func (l *Lobby) ListRooms(ctx context.Context, game string) ([]*tickwirev1.RoomListing, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	if game != "" {
		if _, err := l.game(game); err != nil {
			return nil, err
		}
	}
	recs, err := l.dir.Rooms(ctx, game)
	if err != nil {
		return nil, err
	}
	out := make([]*tickwirev1.RoomListing, 0, len(recs))
	for _, r := range recs {
		if r.Private {
			continue
		}
		players, running := l.livePlayers(r)
		if !running {
			continue
		}
		out = append(out, &tickwirev1.RoomListing{
			Id: r.ID, Game: r.Game, Players: uint32(players), MaxPlayers: uint32(r.MaxPlayers),
			Joinable: max(players, r.Seats) < r.MaxPlayers,
		})
	}
	return out, nil
}

// livePlayers returns the seated players of a room on this node and whether
// it runs. Rooms of other nodes report their reserved seats.
func (l *Lobby) livePlayers(r RoomRecord) (int, bool) {
	if r.Node != l.opts.Node {
		return r.Seats, true
	}
	h, err := l.rooms.Get(r.ID)
	if err != nil {
		return 0, false
	}
	return h.Players(), true
}

// CreateRoom creates a room of req.Game with a seat for player and a join
// code. A private room is not listed and is joined by its code only.
// req.MaxPlayers lowers the game's MaxPlayers (0: the game's), to no less
// than the game's MinPlayers.
// A singleton game's room is never created this way: ErrBadRequest.
func (l *Lobby) CreateRoom(ctx context.Context, player string, req *tickwirev1.CreateRoom) (*tickwirev1.Grant, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	g, err := l.game(req.GetGame())
	if err != nil {
		return nil, err
	}
	size := cmp.Or(int(req.GetMaxPlayers()), g.MaxPlayers)
	if size < g.MinPlayers || size > g.MaxPlayers {
		return nil, fail(ErrBadRequest, "max_players %d: game %s wants %d..%d", req.GetMaxPlayers(), g.Name, g.MinPlayers, g.MaxPlayers)
	}
	if err := refuseSingleton(g); err != nil {
		return nil, err
	}
	defer l.lockPlayers(player)()
	if err := l.free(ctx, player); err != nil {
		return nil, err
	}
	return l.createRoom(ctx, player, g.Name, size, req.GetPrivate())
}

// createRoom starts a room and records it with player's seat. The caller
// holds player's admission lock and checked he is free.
func (l *Lobby) createRoom(ctx context.Context, player, game string, size int, private bool) (*tickwirev1.Grant, error) {
	h, err := l.rooms.Create(ctx, game, tick.RoomOptions{MaxPlayers: size})
	if err != nil {
		return nil, fmt.Errorf("create room of %s: %w", game, err)
	}
	now := l.now()
	token, seat := l.newSeat(player, h.ID(), l.opts.Node, now)
	rec := RoomRecord{ID: h.ID(), Game: game, Node: l.opts.Node, Private: private, MaxPlayers: size, Created: now, Managed: true}
	for range 8 {
		rec.JoinCode = newJoinCode()
		if err = l.dir.AddRoom(ctx, rec, []SeatRecord{seat}); !errors.Is(err, ErrJoinCodeTaken) {
			break
		}
	}
	if err != nil {
		l.closeRoom(h)
		return nil, fmt.Errorf("record room %s: %w", h.ID(), err)
	}
	l.watchRoom(h)
	l.m.seatsIssued.Inc()
	l.log.Debug().Str("room", h.ID()).Str("game", game).Str("player", player).Bool("private", private).Msg("room created")
	return &tickwirev1.Grant{RoomId: h.ID(), JoinCode: rec.JoinCode, Seat: token}, nil
}

// closeRoom stops a room the lobby could not record.
func (l *Lobby) closeRoom(h *tick.Handle) {
	if err := h.Close(context.WithoutCancel(l.ctx)); err != nil {
		l.log.Error().Err(err).Str("room", h.ID()).Msg("close room")
	}
}

// newSeat issues a seat for player in room, which runs on node.
func (l *Lobby) newSeat(player, room, node string, now time.Time) (string, SeatRecord) {
	token, c := l.sign.issueSeat(player, room, node, now.Add(l.opts.SeatTTL))
	return token, SeatRecord{Room: room, Player: player, Node: node, Nonce: c.Nonce, Expires: c.Expires}
}

// Join gives player a seat in one room chosen by req: by RoomId (public
// rooms), by JoinCode (any room), or, with Quick, in the fullest joinable
// public room of Game, created when there is none. Exactly one way must
// be given.
func (l *Lobby) Join(ctx context.Context, player string, req *tickwirev1.LobbyJoin) (*tickwirev1.Grant, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	if req == nil {
		req = &tickwirev1.LobbyJoin{}
	}
	ways := 0
	for _, set := range []bool{req.RoomId != "", req.JoinCode != "", req.Quick} {
		if set {
			ways++
		}
	}
	switch {
	case ways != 1:
		return nil, fail(ErrBadRequest, "give exactly one of room_id, join_code, or game with quick:true")
	case req.Quick:
		return l.QuickJoin(ctx, player, req.Game)
	case req.Game != "":
		return nil, fail(ErrBadRequest, "game goes with quick:true only")
	case req.RoomId != "":
		return l.join(ctx, player, func() (RoomRecord, error) { return l.dir.Room(ctx, req.RoomId) }, false)
	default:
		code := normalizeCode(req.JoinCode)
		return l.join(ctx, player, func() (RoomRecord, error) {
			if !validCode(code) {
				return RoomRecord{}, fail(ErrRoomNotFound, "no room has join code %q", req.JoinCode)
			}
			return l.dir.RoomByCode(ctx, code)
		}, true)
	}
}

// join seats player in the room find returns. Private rooms are found by
// code only (byCode), except by their own members asking for a new seat.
func (l *Lobby) join(ctx context.Context, player string, find func() (RoomRecord, error), byCode bool) (*tickwirev1.Grant, error) {
	defer l.lockPlayers(player)()
	if t, err := l.queued(ctx, player); err != nil {
		return nil, err
	} else if t != "" {
		return nil, fail(ErrAlreadyQueued, "player %s is queued in ticket %s", player, t)
	}
	rec, err := find()
	if err != nil {
		return nil, err
	}
	held, member, err := l.dir.SeatOf(ctx, player)
	if err != nil {
		return nil, err
	}
	if member && held.Room != rec.ID {
		return nil, fail(ErrAlreadyInRoom, "player %s already has a seat in room %s", player, held.Room)
	}
	if rec.Private && !byCode && !member {
		return nil, fail(ErrRoomNotFound, "no room %q", rec.ID)
	}
	return l.reserve(ctx, player, rec, member)
}

// reserve issues player a seat in rec. A member (renewing his seat, e.g. to
// reconnect) takes no new place.
func (l *Lobby) reserve(ctx context.Context, player string, rec RoomRecord, member bool) (*tickwirev1.Grant, error) {
	players, running := l.livePlayers(rec)
	if !running {
		return nil, fail(ErrRoomNotFound, "room %s has ended", rec.ID)
	}
	if !member && players >= rec.MaxPlayers {
		return nil, fail(ErrRoomFull, "room %s is full (%d players)", rec.ID, rec.MaxPlayers)
	}
	// A room of another node gets a seat naming that node: it is redeemed
	// there (the client goes to Grant.URL).
	token, seat := l.newSeat(player, rec.ID, rec.Node, l.now())
	if err := l.dir.Reserve(ctx, seat); err != nil {
		return nil, err
	}
	l.m.seatsIssued.Inc()
	return &tickwirev1.Grant{RoomId: rec.ID, Url: l.urlOf(rec.Node), Seat: token}, nil
}

// QuickJoin seats player in the fullest joinable public room of game (the
// oldest among equals), or creates a public room when none has a free seat
// (Colyseus's joinOrCreate). In a cluster, rooms on this node come first.
// A singleton game's quick-join seats player in its one room, wherever it
// runs, and never creates one (see OpenSingleton).
func (l *Lobby) QuickJoin(ctx context.Context, player, game string) (*tickwirev1.Grant, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	g, err := l.game(game)
	if err != nil {
		return nil, err
	}
	defer l.lockPlayers(player)()
	if err := l.free(ctx, player); err != nil {
		return nil, err
	}
	mu := l.quickLock(g.Name)
	mu.Lock()
	defer mu.Unlock()
	if g.Singleton {
		return l.quickJoinSingleton(ctx, player, g)
	}
	recs, err := l.dir.Rooms(ctx, g.Name)
	if err != nil {
		return nil, err
	}
	type option struct {
		rec  RoomRecord
		fill int
	}
	var opts []option
	for _, r := range recs {
		if r.Private {
			continue
		}
		if players, running := l.livePlayers(r); running && max(players, r.Seats) < r.MaxPlayers {
			opts = append(opts, option{r, max(players, r.Seats)})
		}
	}
	// This node's rooms first (in a cluster, a /ws quick-join can only
	// seat the player here), then the fullest; recs are oldest first.
	remote := func(o option) bool { return o.rec.Node != l.opts.Node }
	slices.SortStableFunc(opts, func(a, b option) int {
		return cmp.Or(compareBool(remote(a), remote(b)), cmp.Compare(b.fill, a.fill))
	})
	for _, o := range opts {
		grant, err := l.reserve(ctx, player, o.rec, false)
		if errors.Is(err, ErrRoomFull) || errors.Is(err, ErrRoomNotFound) {
			continue // filled or ended since the listing
		}
		return grant, err
	}
	return l.createRoom(ctx, player, g.Name, g.MaxPlayers, false)
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// Adopt makes a room the lobby did not create (say, a persistent room the
// program started) known to it: listed unless private, joinable by id or by
// the returned record's JoinCode, forgotten when it ends, never closed for
// being idle.
func (l *Lobby) Adopt(ctx context.Context, h *tick.Handle, private bool) (RoomRecord, error) {
	return l.AdoptAs(ctx, h, private, "")
}

// AdoptAs is Adopt with a join code of the caller's choosing (normalized
// like a typed one; empty: a random one). Join codes are unique among live
// rooms of the whole directory, so a fixed code makes a room one of a
// kind: in a cluster, the second node to adopt a room under the same code
// gets ErrJoinCodeTaken. A singleton game (tick.GameInfo.Singleton) needs
// none of this by hand: OpenSingleton does it.
func (l *Lobby) AdoptAs(ctx context.Context, h *tick.Handle, private bool, joinCode string) (RoomRecord, error) {
	if err := l.checkOpen(); err != nil {
		return RoomRecord{}, err
	}
	info := h.Info()
	rec := RoomRecord{ID: info.ID, Game: info.Game, Node: l.opts.Node, Private: private, MaxPlayers: info.MaxPlayers, Created: l.now()}
	var err error
	if joinCode != "" {
		rec.JoinCode = normalizeCode(joinCode)
		err = l.dir.AddRoom(ctx, rec, nil)
	} else {
		for range 8 {
			rec.JoinCode = newJoinCode()
			if err = l.dir.AddRoom(ctx, rec, nil); !errors.Is(err, ErrJoinCodeTaken) {
				break
			}
		}
	}
	if err != nil {
		return RoomRecord{}, fmt.Errorf("adopt room %s: %w", info.ID, err)
	}
	l.watchRoom(h)
	return l.dir.Room(ctx, rec.ID)
}
