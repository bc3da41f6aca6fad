package cluster

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/lobby"
)

// Directory is the lobby.Directory of a cluster, kept in a JetStream
// key-value bucket that every node reads and writes, so room lists, join
// codes, seats and quick-join see the rooms of every node.
//
// Keys (ids are base64url-encoded, as KV keys allow few characters):
//
//	room.<id>      a room and the places held in it (JSON roomDoc)
//	code.<code>    a join code → the room's id
//	seat.<player>  the one place a player holds (JSON lobby.SeatRecord)
//	used.<nonce>   a redeemed seat's nonce, expiring with the seat
//
// Each method is one atomic batch with an expected revision per key (see
// store), retried from fresh reads on a conflict: at most one seat per
// player (seat.<player> is written only where it was absent or his), at
// most MaxPlayers places per room (the room document counts them), single
// use nonces (used.<nonce> must be absent), unique join codes among live
// rooms (code.<code> must be absent or point at a room that is gone).
//
// Reads of one key go to the stream leader. Rooms and Sweep read a mirror
// of the bucket that a goroutine keeps up to date from a KV watch; they
// wait until it has seen this node's own last write. Malformed entries
// (another version, a bug, a hand edit) are logged once and treated as
// absent, so a write may replace them; they never stop a node.
type Directory struct {
	st     *store
	node   string
	log    zerolog.Logger
	mirror *mirror
	alive  func(node string) bool

	bad badLog

	mu    sync.Mutex
	rooms map[string]roomDoc // by room id, from the mirror
	mine  chan struct{}      // closed when one of this node's rooms changes

	// fenced makes the methods that grant places fail (fence.go); held
	// rooms were closed by the fence: their records and places stay for
	// whoever restores them, whatever this node's lobby asks.
	fenced func() bool
	heldMu sync.Mutex
	held   map[string]bool
	// deferred are the removals and releases this node's lobby asked for
	// while fenced, for the node to apply when it is back.
	deferredRooms  map[string]bool
	deferredPlaces map[[2]string]bool // player, room
}

var _ lobby.Directory = (*Directory)(nil)

// roomDoc is a room as stored: the record and the places held in it.
type roomDoc struct {
	V int `json:"v"`
	lobby.RoomRecord
	Places map[string]lobby.SeatRecord `json:"-"`
	Wire   map[string]seatWire         `json:"places,omitempty"`
}

// seatWire is a lobby.SeatRecord as stored: the nonce is random bytes,
// which JSON strings would mangle, so it travels as base64.
type seatWire struct {
	Room    string    `json:"room"`
	Player  string    `json:"player"`
	Node    string    `json:"node"`
	Nonce   []byte    `json:"nonce"`
	Expires time.Time `json:"expires"`
	Taken   bool      `json:"taken,omitempty"`
}

func toWire(s lobby.SeatRecord) seatWire {
	return seatWire{Room: s.Room, Player: s.Player, Node: s.Node, Nonce: []byte(s.Nonce), Expires: s.Expires, Taken: s.Taken}
}

func (w seatWire) record() lobby.SeatRecord {
	return lobby.SeatRecord{Room: w.Room, Player: w.Player, Node: w.Node, Nonce: string(w.Nonce), Expires: w.Expires, Taken: w.Taken}
}

const docVersion = 1

// Key prefixes.
const (
	keyRoom = "room."
	keyCode = "code."
	keySeat = "seat."
	keyUsed = "used."
)

func newDirectory(st *store, node string, log zerolog.Logger) *Directory {
	d := &Directory{
		st:     st,
		node:   node,
		log:    log,
		bad:    badLog{log: log, seen: map[string]uint64{}},
		rooms:  map[string]roomDoc{},
		mine:   make(chan struct{}),
		alive:  func(string) bool { return true },
		fenced: func() bool { return false },
		held:   map[string]bool{},

		deferredRooms:  map[string]bool{},
		deferredPlaces: map[[2]string]bool{},
	}
	d.mirror = newMirror(st.name, log, st.kv, ">", d.applyEntry)
	return d
}

// applyEntry updates the room cache from the mirror's goroutine.
func (d *Directory) applyEntry(key string, e entry) {
	rest, ok := strings.CutPrefix(key, keyRoom)
	if !ok {
		return
	}
	id, ok := dec(rest)
	if !ok {
		d.malformed(key, e.Rev, "undecodable room key")
		return
	}
	var doc roomDoc
	var good bool
	if e.OK {
		doc, good = d.decodeRoom(key, id, e)
	}
	d.mu.Lock()
	old, had := d.rooms[id]
	if good {
		d.rooms[id] = doc
	} else {
		delete(d.rooms, id)
	}
	if (had && old.Node == d.node) || (good && doc.Node == d.node) {
		close(d.mine)
		d.mine = make(chan struct{})
	}
	d.mu.Unlock()
}

func (d *Directory) malformed(key string, rev uint64, why string) { d.bad.note(key, rev, why) }

func (d *Directory) decodeRoom(key, id string, e entry) (roomDoc, bool) {
	var doc roomDoc
	if err := json.Unmarshal(e.Value, &doc); err != nil {
		d.malformed(key, e.Rev, "room: "+err.Error())
		return doc, false
	}
	switch {
	case doc.V != docVersion:
		d.malformed(key, e.Rev, fmt.Sprintf("room document version %d", doc.V))
		return doc, false
	case doc.ID != id || doc.Game == "" || doc.Node == "" || doc.MaxPlayers <= 0:
		d.malformed(key, e.Rev, "room document lacks id, game, node or max players")
		return doc, false
	}
	doc.Places = make(map[string]lobby.SeatRecord, len(doc.Wire))
	for p, w := range doc.Wire {
		if w.Player != p || w.Room != id {
			d.malformed(key, e.Rev, "room document has a foreign place")
			return doc, false
		}
		doc.Places[p] = w.record()
	}
	doc.Wire = nil
	doc.Seats = len(doc.Places)
	return doc, true
}

// readRoom reads room id; ok is false when it is absent or malformed.
func (d *Directory) readRoom(ctx context.Context, id string) (doc roomDoc, rev uint64, ok bool, err error) {
	key := keyRoom + enc(id)
	e, err := d.st.get(ctx, key)
	if err != nil || !e.OK {
		return roomDoc{}, e.Rev, false, err
	}
	doc, ok = d.decodeRoom(key, id, e)
	return doc, e.Rev, ok, nil
}

// readSeat reads the place player holds.
func (d *Directory) readSeat(ctx context.Context, player string) (seat lobby.SeatRecord, rev uint64, ok bool, err error) {
	key := keySeat + enc(player)
	e, err := d.st.get(ctx, key)
	if err != nil || !e.OK {
		return seat, e.Rev, false, err
	}
	var w seatWire
	if err := json.Unmarshal(e.Value, &w); err != nil || w.Player != player || w.Room == "" {
		d.malformed(key, e.Rev, "seat record")
		return lobby.SeatRecord{}, e.Rev, false, nil
	}
	return w.record(), e.Rev, true, nil
}

func (doc roomDoc) put(rev uint64) op {
	doc.V = docVersion
	doc.Seats = len(doc.Places)
	doc.Wire = make(map[string]seatWire, len(doc.Places))
	for p, s := range doc.Places {
		doc.Wire[p] = toWire(s)
	}
	return put(keyRoom+enc(doc.ID), mustJSON(doc), rev)
}

func seatPut(s lobby.SeatRecord, rev uint64) op {
	return put(keySeat+enc(s.Player), mustJSON(toWire(s)), rev)
}

// AddRoom implements lobby.Directory.
func (d *Directory) AddRoom(ctx context.Context, room lobby.RoomRecord, seats []lobby.SeatRecord) error {
	if err := d.checkFence(); err != nil {
		return err
	}
	if len(seats) > room.MaxPlayers {
		return failf(lobby.ErrRoomFull, "room %s has %d places, not %d", room.ID, room.MaxPlayers, len(seats))
	}
	return d.st.update(ctx, func() ([]op, error) {
		_, rev, exists, err := d.readRoom(ctx, room.ID)
		if err != nil {
			return nil, err
		}
		if exists {
			return nil, fmt.Errorf("add room %q: exists", room.ID)
		}
		doc := roomDoc{RoomRecord: room, Places: make(map[string]lobby.SeatRecord, len(seats))}
		ops := []op{}
		if room.JoinCode != "" {
			e, err := d.st.get(ctx, keyCode+enc(room.JoinCode))
			if err != nil {
				return nil, err
			}
			if e.OK {
				if other, _, live, err := d.readRoom(ctx, string(e.Value)); err != nil {
					return nil, err
				} else if live && other.JoinCode == room.JoinCode {
					return nil, lobby.ErrJoinCodeTaken
				}
			}
			ops = append(ops, put(keyCode+enc(room.JoinCode), []byte(room.ID), e.Rev))
		}
		for _, s := range seats {
			cur, srev, held, err := d.readSeat(ctx, s.Player)
			if err != nil {
				return nil, err
			}
			if held {
				return nil, failf(lobby.ErrAlreadyInRoom, "player %s already has a place in room %s", s.Player, cur.Room)
			}
			s.Room = room.ID
			doc.Places[s.Player] = s
			ops = append(ops, seatPut(s, srev))
		}
		if len(seats) > 0 {
			doc.IdleSince = time.Time{}
		} else if doc.IdleSince.IsZero() {
			doc.IdleSince = room.Created
		}
		return append(ops, doc.put(rev)), nil
	})
}

// RemoveRoom implements lobby.Directory, for this node's rooms: a room
// recorded on another node (restored there after this node was taken for
// dead) is left alone, and so is a room the fence closed (fence.go).
func (d *Directory) RemoveRoom(ctx context.Context, id string) error {
	if d.isHeld(id) {
		return nil
	}
	if d.fenced() {
		d.heldMu.Lock()
		d.deferredRooms[id] = true
		d.heldMu.Unlock()
		return nil
	}
	key := keyRoom + enc(id)
	return d.st.update(ctx, func() ([]op, error) {
		e, err := d.st.get(ctx, key)
		if err != nil || !e.OK {
			return nil, err
		}
		doc, ok := d.decodeRoom(key, id, e)
		if !ok { // malformed: drop it
			return []op{del(key, e.Rev)}, nil
		}
		if doc.Node != d.node {
			return nil, nil
		}
		return d.removeOps(ctx, doc, e.Rev)
	})
}

// removeOps are the writes that remove doc: its places, its code, itself.
func (d *Directory) removeOps(ctx context.Context, doc roomDoc, rev uint64) ([]op, error) {
	var ops []op
	for _, p := range slices.Sorted(maps.Keys(doc.Places)) {
		cur, srev, held, err := d.readSeat(ctx, p)
		if err != nil {
			return nil, err
		}
		if held && cur.Room == doc.ID {
			ops = append(ops, del(keySeat+enc(p), srev))
		}
	}
	if doc.JoinCode != "" {
		e, err := d.st.get(ctx, keyCode+enc(doc.JoinCode))
		if err != nil {
			return nil, err
		}
		if e.OK && string(e.Value) == doc.ID {
			ops = append(ops, del(keyCode+enc(doc.JoinCode), e.Rev))
		}
	}
	return append(ops, del(keyRoom+enc(doc.ID), rev)), nil
}

// Room implements lobby.Directory.
func (d *Directory) Room(ctx context.Context, id string) (lobby.RoomRecord, error) {
	doc, _, ok, err := d.readRoom(ctx, id)
	if err != nil {
		return lobby.RoomRecord{}, err
	}
	if !ok {
		return lobby.RoomRecord{}, failf(lobby.ErrRoomNotFound, "no room %q", id)
	}
	return doc.RoomRecord, nil
}

// RoomByCode implements lobby.Directory.
func (d *Directory) RoomByCode(ctx context.Context, code string) (lobby.RoomRecord, error) {
	if code == "" {
		return lobby.RoomRecord{}, failf(lobby.ErrRoomNotFound, "no join code")
	}
	e, err := d.st.get(ctx, keyCode+enc(code))
	if err != nil {
		return lobby.RoomRecord{}, err
	}
	if e.OK {
		if doc, _, ok, err := d.readRoom(ctx, string(e.Value)); err != nil {
			return lobby.RoomRecord{}, err
		} else if ok && doc.JoinCode == code {
			return doc.RoomRecord, nil
		}
	}
	return lobby.RoomRecord{}, failf(lobby.ErrRoomNotFound, "no room has join code %q", code)
}

// mirrorPatience bounds how long a listing waits for the mirror to catch
// up with this node's writes before it answers from what it has.
const mirrorPatience = 2 * time.Second

// Rooms implements lobby.Directory. It lists, from the mirror, the rooms
// of this node and of the nodes the registry shows alive.
func (d *Directory) Rooms(ctx context.Context, game string) ([]lobby.RoomRecord, error) {
	d.mirror.waitFor(ctx, d.st.written.Load(), mirrorPatience)
	d.mu.Lock()
	out := make([]lobby.RoomRecord, 0, len(d.rooms))
	for _, doc := range d.rooms {
		if (game == "" || doc.Game == game) && (doc.Node == d.node || d.alive(doc.Node)) {
			out = append(out, doc.RoomRecord)
		}
	}
	d.mu.Unlock()
	slices.SortFunc(out, func(a, b lobby.RoomRecord) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// Reserve implements lobby.Directory.
func (d *Directory) Reserve(ctx context.Context, seat lobby.SeatRecord) error {
	if err := d.checkFence(); err != nil {
		return err
	}
	return d.st.update(ctx, func() ([]op, error) {
		doc, rev, ok, err := d.readRoom(ctx, seat.Room)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, failf(lobby.ErrRoomNotFound, "no room %q", seat.Room)
		}
		cur, srev, held, err := d.readSeat(ctx, seat.Player)
		if err != nil {
			return nil, err
		}
		switch {
		case held && cur.Room != seat.Room:
			return nil, failf(lobby.ErrAlreadyInRoom, "player %s already has a place in room %s", seat.Player, cur.Room)
		case held: // renew: the new seat supersedes the old one
			if cur.Taken {
				seat.Taken, seat.Expires = true, time.Time{}
			}
		case len(doc.Places) >= doc.MaxPlayers:
			return nil, failf(lobby.ErrRoomFull, "room %s is full (%d players)", doc.ID, doc.MaxPlayers)
		default:
			seat.Taken = false
			doc.IdleSince = time.Time{}
		}
		if doc.Places == nil {
			doc.Places = map[string]lobby.SeatRecord{}
		}
		doc.Places[seat.Player] = seat
		return []op{seatPut(seat, srev), doc.put(rev)}, nil
	})
}

// SeatOf implements lobby.Directory.
func (d *Directory) SeatOf(ctx context.Context, player string) (lobby.SeatRecord, bool, error) {
	s, _, ok, err := d.readSeat(ctx, player)
	return s, ok, err
}

// Seats implements lobby.Directory.
func (d *Directory) Seats(ctx context.Context, room string) ([]lobby.SeatRecord, error) {
	doc, _, ok, err := d.readRoom(ctx, room)
	if err != nil || !ok {
		return nil, err
	}
	out := make([]lobby.SeatRecord, 0, len(doc.Places))
	for _, p := range slices.Sorted(maps.Keys(doc.Places)) {
		out = append(out, doc.Places[p])
	}
	return out, nil
}

// Redeem implements lobby.Directory.
func (d *Directory) Redeem(ctx context.Context, c lobby.SeatClaims) error {
	if err := d.checkFence(); err != nil {
		return err
	}
	return d.st.update(ctx, func() ([]op, error) {
		used, err := d.st.get(ctx, keyUsed+enc(c.Nonce))
		if err != nil {
			return nil, err
		}
		if used.OK {
			return nil, failf(lobby.ErrSeatInvalid, "seat already used")
		}
		doc, rev, ok, err := d.readRoom(ctx, c.Room)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, failf(lobby.ErrSeatInvalid, "room %s has ended", c.Room)
		}
		cur, srev, held, err := d.readSeat(ctx, c.Player)
		if err != nil {
			return nil, err
		}
		if !held || cur.Room != c.Room {
			return nil, failf(lobby.ErrSeatInvalid, "seat reservation lapsed or was given up")
		}
		if cur.Nonce != c.Nonce {
			return nil, failf(lobby.ErrSeatInvalid, "seat superseded by a newer seat")
		}
		cur.Taken, cur.Expires = true, time.Time{}
		doc.Places[c.Player] = cur
		// The nonce is remembered until the seat expires, and a little
		// longer: clocks of nodes differ.
		mark := op{key: keyUsed + enc(c.Nonce), value: []byte(c.Room), expect: used.Rev, ttl: time.Until(c.Expires) + 5*time.Second}
		return []op{mark, seatPut(cur, srev), doc.put(rev)}, nil
	})
}

// Release implements lobby.Directory, for places in this node's rooms.
func (d *Directory) Release(ctx context.Context, player, room string, now time.Time) error {
	if d.isHeld(room) {
		return nil // the room was fenced: its players keep their places for its restorer
	}
	if d.fenced() {
		d.heldMu.Lock()
		d.deferredPlaces[[2]string{player, room}] = true
		d.heldMu.Unlock()
		return nil
	}
	return d.st.update(ctx, func() ([]op, error) {
		cur, srev, held, err := d.readSeat(ctx, player)
		// A node releases places in its own rooms only: after a room moved
		// (recover.go), the old node's late unseats must not drop them.
		if err != nil || !held || cur.Room != room || cur.Node != d.node {
			return nil, err
		}
		return d.dropOps(ctx, cur, srev, now, func(lobby.SeatRecord) bool { return true })
	})
}

// dropOps are the writes that drop seat s (held at revision srev) from its
// room, if keep says the room's copy is still the one to drop.
func (d *Directory) dropOps(ctx context.Context, s lobby.SeatRecord, srev uint64, now time.Time, still func(lobby.SeatRecord) bool) ([]op, error) {
	ops := []op{del(keySeat+enc(s.Player), srev)}
	doc, rev, ok, err := d.readRoom(ctx, s.Room)
	if err != nil {
		return nil, err
	}
	if !ok {
		return ops, nil
	}
	if p, in := doc.Places[s.Player]; in {
		if !still(p) {
			return nil, nil
		}
		delete(doc.Places, s.Player)
		if len(doc.Places) == 0 {
			doc.IdleSince = now
		}
		ops = append(ops, doc.put(rev))
	}
	return ops, nil
}

// Sweep implements lobby.Directory for the rooms of this node: lapsed
// reservations in them, and them when idle. Used nonces expire by
// themselves (a JetStream message TTL); rooms of dead nodes are removed by
// Node when their heartbeat stops.
func (d *Directory) Sweep(ctx context.Context, now time.Time, idleFor time.Duration) (lobby.SweepResult, error) {
	var res lobby.SweepResult
	d.mirror.waitFor(ctx, d.st.written.Load(), mirrorPatience)
	d.mu.Lock()
	res.Changed = d.mine // before reading, so no later change is missed
	var own []roomDoc
	for _, doc := range d.rooms {
		if doc.Node == d.node {
			own = append(own, doc)
		}
	}
	d.mu.Unlock()
	var next time.Time
	soonest := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, doc := range own {
		for _, p := range doc.Places {
			if p.Taken {
				continue
			}
			if p.Expires.After(now) {
				soonest(p.Expires)
				continue
			}
			if err := d.dropLapsed(ctx, p, now); err != nil {
				return res, err
			}
		}
		if !doc.Managed || idleFor < 0 || len(doc.Places) > 0 {
			continue
		}
		if due := doc.IdleSince.Add(idleFor); due.After(now) {
			soonest(due)
			continue
		}
		closed, err := d.closeIdle(ctx, doc.ID, doc.IdleSince)
		if err != nil {
			return res, err
		}
		if closed {
			res.Closed = append(res.Closed, doc.RoomRecord)
		}
	}
	res.Next = next
	return res, nil
}

// dropLapsed drops p if it is still the same unredeemed, lapsed
// reservation.
func (d *Directory) dropLapsed(ctx context.Context, p lobby.SeatRecord, now time.Time) error {
	same := func(s lobby.SeatRecord) bool { return !s.Taken && s.Nonce == p.Nonce && !s.Expires.After(now) }
	return d.st.update(ctx, func() ([]op, error) {
		cur, srev, held, err := d.readSeat(ctx, p.Player)
		if err != nil || !held || cur.Room != p.Room || !same(cur) {
			return nil, err
		}
		return d.dropOps(ctx, cur, srev, now, same)
	})
}

// closeIdle removes room id if it is still idle since idleSince.
func (d *Directory) closeIdle(ctx context.Context, id string, idleSince time.Time) (bool, error) {
	closed := false
	err := d.st.update(ctx, func() ([]op, error) {
		closed = false
		doc, rev, ok, err := d.readRoom(ctx, id)
		if err != nil || !ok || len(doc.Places) > 0 || !doc.IdleSince.Equal(idleSince) {
			return nil, err
		}
		closed = true
		return d.removeOps(ctx, doc, rev)
	})
	return closed, err
}

// RoomsOf returns the ids of the rooms the mirror lists for node.
func (d *Directory) RoomsOf(node string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for id, doc := range d.rooms {
		if doc.Node == node {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// Nodes returns the nodes that have rooms in the mirror.
func (d *Directory) nodes() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	set := map[string]bool{}
	for _, doc := range d.rooms {
		set[doc.Node] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// checkFence refuses to grant places while the node is fenced.
func (d *Directory) checkFence() error {
	if d.fenced() {
		return errFenced
	}
	return nil
}

// applyDeferred makes the removals and releases deferred while fenced;
// those that fail are logged and dropped (the rooms of a node taken for
// dead are removed by the others).
func (d *Directory) applyDeferred(ctx context.Context) {
	d.heldMu.Lock()
	rooms, places := d.deferredRooms, d.deferredPlaces
	d.deferredRooms, d.deferredPlaces = map[string]bool{}, map[[2]string]bool{}
	d.heldMu.Unlock()
	for pr := range places {
		if err := d.Release(ctx, pr[0], pr[1], time.Now()); err != nil {
			d.log.Warn().Err(err).Str("player", pr[0]).Str("room", pr[1]).Msg("release a place deferred by the fence")
		}
	}
	for id := range rooms {
		if err := d.RemoveRoom(ctx, id); err != nil {
			d.log.Warn().Err(err).Str("room", id).Msg("remove a room deferred by the fence")
		}
	}
}

// hold keeps room's record and places from this node's lobby (fence.go).
func (d *Directory) hold(room string) {
	d.heldMu.Lock()
	d.held[room] = true
	d.heldMu.Unlock()
}

func (d *Directory) unhold(room string) {
	d.heldMu.Lock()
	delete(d.held, room)
	d.heldMu.Unlock()
}

func (d *Directory) isHeld(room string) bool {
	d.heldMu.Lock()
	defer d.heldMu.Unlock()
	return d.held[room]
}

// heldRooms returns the rooms held, sorted.
func (d *Directory) heldRooms() []string {
	d.heldMu.Lock()
	defer d.heldMu.Unlock()
	return slices.Sorted(maps.Keys(d.held))
}
