package lobby

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	memdb "github.com/hashicorp/go-memdb"
)

// MemDirectory is the Directory of one node, kept in go-memdb. Readers see
// atomic snapshots; writes are serialized by memdb's single writer.
type MemDirectory struct {
	db *memdb.MemDB

	mu      sync.Mutex
	changed chan struct{} // closed and replaced after every write
}

var _ Directory = (*MemDirectory)(nil)

const (
	tableRooms = "rooms"
	tableSeats = "seats"
	tableUsed  = "used_seats"
	never      = math.MaxInt64 // an index time for "not pending"
)

// memRoom, memSeat and memUsed are the stored rows. Rows are immutable once
// inserted (memdb shares them with readers): writers insert copies.
type memRoom struct {
	RoomRecord
	IdleAt int64 // IdleSince in Unix ns while a managed room has no seat, else never
}

type memSeat struct {
	SeatRecord
	Key       string // Room + "\x00" + Player
	ExpiresAt int64  // Expires in Unix ns while not taken, else never
}

type memUsed struct {
	Nonce     string
	ExpiresAt int64
}

func directorySchema() *memdb.DBSchema {
	return &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		tableRooms: {Name: tableRooms, Indexes: map[string]*memdb.IndexSchema{
			"id":   index("id", false, strIndex[memRoom](func(r *memRoom) string { return r.ID })),
			"code": index("code", true, strIndex[memRoom](func(r *memRoom) string { return r.JoinCode })),
			"game": index("game", false, strIndex[memRoom](func(r *memRoom) string { return r.Game })),
			"idle": index("idle", false, intIndex[memRoom](func(r *memRoom) int64 { return r.IdleAt })),
		}},
		tableSeats: {Name: tableSeats, Indexes: map[string]*memdb.IndexSchema{
			"id":      index("id", false, strIndex[memSeat](func(s *memSeat) string { return s.Key })),
			"player":  index("player", false, strIndex[memSeat](func(s *memSeat) string { return s.Player })),
			"room":    index("room", false, strIndex[memSeat](func(s *memSeat) string { return s.Room })),
			"expires": index("expires", false, intIndex[memSeat](func(s *memSeat) int64 { return s.ExpiresAt })),
		}},
		tableUsed: {Name: tableUsed, Indexes: map[string]*memdb.IndexSchema{
			"id":      index("id", false, strIndex[memUsed](func(u *memUsed) string { return u.Nonce })),
			"expires": index("expires", false, intIndex[memUsed](func(u *memUsed) int64 { return u.ExpiresAt })),
		}},
	}}
}

// NewMemDirectory returns an empty MemDirectory.
func NewMemDirectory() *MemDirectory {
	db, err := memdb.NewMemDB(directorySchema())
	if err != nil {
		panic("lobby: directory schema: " + err.Error()) // a bug, caught by every test
	}
	return &MemDirectory{db: db, changed: make(chan struct{})}
}

// write runs fn in a write transaction and commits it when fn succeeds.
func (d *MemDirectory) write(fn func(txn *memdb.Txn) error) error {
	txn := d.db.Txn(true)
	defer txn.Abort()
	if err := fn(txn); err != nil {
		return err
	}
	txn.Commit()
	d.mu.Lock()
	close(d.changed)
	d.changed = make(chan struct{})
	d.mu.Unlock()
	return nil
}

func (d *MemDirectory) watch() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.changed
}

func seatKey(room, player string) string { return room + "\x00" + player }

func unixOr(t time.Time, ok bool) int64 {
	if !ok {
		return never
	}
	return t.UnixNano()
}

func newMemRoom(r RoomRecord) *memRoom {
	return &memRoom{RoomRecord: r, IdleAt: unixOr(r.IdleSince, r.Managed && r.Seats == 0)}
}

func newMemSeat(s SeatRecord) *memSeat {
	return &memSeat{SeatRecord: s, Key: seatKey(s.Room, s.Player), ExpiresAt: unixOr(s.Expires, !s.Taken)}
}

func getRoom(txn *memdb.Txn, id string) (*memRoom, error) {
	o, err := txn.First(tableRooms, "id", id)
	if err != nil {
		return nil, fmt.Errorf("room %q: %w", id, err)
	}
	if o == nil {
		return nil, fail(ErrRoomNotFound, "no room %q", id)
	}
	return o.(*memRoom), nil
}

func seatOf(txn *memdb.Txn, player string) (*memSeat, error) {
	o, err := txn.First(tableSeats, "player", player)
	if err != nil || o == nil {
		return nil, err
	}
	return o.(*memSeat), nil
}

// AddRoom implements Directory.
func (d *MemDirectory) AddRoom(_ context.Context, room RoomRecord, seats []SeatRecord) error {
	return d.write(func(txn *memdb.Txn) error {
		if o, err := txn.First(tableRooms, "id", room.ID); err != nil || o != nil {
			return fmt.Errorf("add room %q: exists or %v", room.ID, err)
		}
		if room.JoinCode != "" {
			if o, err := txn.First(tableRooms, "code", room.JoinCode); err != nil {
				return err
			} else if o != nil {
				return ErrJoinCodeTaken
			}
		}
		if len(seats) > room.MaxPlayers {
			return fail(ErrRoomFull, "room %s has %d places, not %d", room.ID, room.MaxPlayers, len(seats))
		}
		for _, s := range seats {
			if cur, err := seatOf(txn, s.Player); err != nil {
				return err
			} else if cur != nil {
				return fail(ErrAlreadyInRoom, "player %s already has a place in room %s", s.Player, cur.Room)
			}
			s.Room = room.ID
			if err := txn.Insert(tableSeats, newMemSeat(s)); err != nil {
				return err
			}
		}
		room.Seats = len(seats)
		if room.Seats > 0 {
			room.IdleSince = time.Time{}
		} else if room.IdleSince.IsZero() {
			room.IdleSince = room.Created
		}
		return txn.Insert(tableRooms, newMemRoom(room))
	})
}

// RemoveRoom implements Directory.
func (d *MemDirectory) RemoveRoom(_ context.Context, id string) error {
	return d.write(func(txn *memdb.Txn) error {
		if _, err := txn.DeleteAll(tableSeats, "room", id); err != nil {
			return err
		}
		_, err := txn.DeleteAll(tableRooms, "id", id)
		return err
	})
}

// Room implements Directory.
func (d *MemDirectory) Room(_ context.Context, id string) (RoomRecord, error) {
	r, err := getRoom(d.db.Txn(false), id)
	if err != nil {
		return RoomRecord{}, err
	}
	return r.RoomRecord, nil
}

// RoomByCode implements Directory.
func (d *MemDirectory) RoomByCode(_ context.Context, code string) (RoomRecord, error) {
	if code == "" {
		return RoomRecord{}, fail(ErrRoomNotFound, "no join code")
	}
	o, err := d.db.Txn(false).First(tableRooms, "code", code)
	if err != nil {
		return RoomRecord{}, err
	}
	if o == nil {
		return RoomRecord{}, fail(ErrRoomNotFound, "no room has join code %q", code)
	}
	return o.(*memRoom).RoomRecord, nil
}

// Rooms implements Directory.
func (d *MemDirectory) Rooms(_ context.Context, game string) ([]RoomRecord, error) {
	txn := d.db.Txn(false)
	var it memdb.ResultIterator
	var err error
	if game == "" {
		it, err = txn.Get(tableRooms, "id")
	} else {
		it, err = txn.Get(tableRooms, "game", game)
	}
	if err != nil {
		return nil, err
	}
	var out []RoomRecord
	for o := it.Next(); o != nil; o = it.Next() {
		out = append(out, o.(*memRoom).RoomRecord)
	}
	sortRooms(out)
	return out, nil
}

// Reserve implements Directory.
func (d *MemDirectory) Reserve(_ context.Context, seat SeatRecord) error {
	return d.write(func(txn *memdb.Txn) error {
		room, err := getRoom(txn, seat.Room)
		if err != nil {
			return err
		}
		cur, err := seatOf(txn, seat.Player)
		if err != nil {
			return err
		}
		if cur != nil && cur.Room != seat.Room {
			return fail(ErrAlreadyInRoom, "player %s already has a place in room %s", seat.Player, cur.Room)
		}
		if cur != nil { // renew: the new seat supersedes the old one
			if cur.Taken {
				seat.Taken, seat.Expires = true, time.Time{}
			}
			return txn.Insert(tableSeats, newMemSeat(seat))
		}
		if room.Seats >= room.MaxPlayers {
			return fail(ErrRoomFull, "room %s is full (%d players)", room.ID, room.MaxPlayers)
		}
		seat.Taken = false
		if err := txn.Insert(tableSeats, newMemSeat(seat)); err != nil {
			return err
		}
		r := room.RoomRecord
		r.Seats++
		r.IdleSince = time.Time{}
		return txn.Insert(tableRooms, newMemRoom(r))
	})
}

// SeatOf implements Directory.
func (d *MemDirectory) SeatOf(_ context.Context, player string) (SeatRecord, bool, error) {
	s, err := seatOf(d.db.Txn(false), player)
	if err != nil || s == nil {
		return SeatRecord{}, false, err
	}
	return s.SeatRecord, true, nil
}

// Seats implements Directory.
func (d *MemDirectory) Seats(_ context.Context, room string) ([]SeatRecord, error) {
	it, err := d.db.Txn(false).Get(tableSeats, "room", room)
	if err != nil {
		return nil, err
	}
	var out []SeatRecord
	for o := it.Next(); o != nil; o = it.Next() {
		out = append(out, o.(*memSeat).SeatRecord)
	}
	return out, nil
}

// Redeem implements Directory.
func (d *MemDirectory) Redeem(_ context.Context, c SeatClaims) error {
	return d.write(func(txn *memdb.Txn) error {
		if o, err := txn.First(tableUsed, "id", c.Nonce); err != nil {
			return err
		} else if o != nil {
			return fail(ErrSeatInvalid, "seat already used")
		}
		if _, err := getRoom(txn, c.Room); err != nil {
			return fail(ErrSeatInvalid, "room %s has ended", c.Room)
		}
		o, err := txn.First(tableSeats, "id", seatKey(c.Room, c.Player))
		if err != nil {
			return err
		}
		if o == nil {
			return fail(ErrSeatInvalid, "seat reservation lapsed or was given up")
		}
		cur := o.(*memSeat)
		if cur.Nonce != c.Nonce {
			return fail(ErrSeatInvalid, "seat superseded by a newer seat")
		}
		if err := txn.Insert(tableUsed, &memUsed{Nonce: c.Nonce, ExpiresAt: c.Expires.UnixNano()}); err != nil {
			return err
		}
		s := cur.SeatRecord
		s.Taken, s.Expires = true, time.Time{}
		return txn.Insert(tableSeats, newMemSeat(s))
	})
}

// Release implements Directory.
func (d *MemDirectory) Release(_ context.Context, player, room string, now time.Time) error {
	return d.write(func(txn *memdb.Txn) error {
		o, err := txn.First(tableSeats, "id", seatKey(room, player))
		if err != nil || o == nil {
			return err
		}
		return dropSeat(txn, o.(*memSeat), now)
	})
}

// dropSeat deletes s and updates its room's count.
func dropSeat(txn *memdb.Txn, s *memSeat, now time.Time) error {
	if err := txn.Delete(tableSeats, s); err != nil {
		return err
	}
	o, err := txn.First(tableRooms, "id", s.Room)
	if err != nil || o == nil {
		return err
	}
	r := o.(*memRoom).RoomRecord
	r.Seats--
	if r.Seats <= 0 {
		r.Seats, r.IdleSince = 0, now
	}
	return txn.Insert(tableRooms, newMemRoom(r))
}

// Sweep implements Directory.
func (d *MemDirectory) Sweep(_ context.Context, now time.Time, idleFor time.Duration) (SweepResult, error) {
	var res SweepResult
	changed := d.watch() // before reading, so no later write is missed
	var lapsed []*memSeat
	var used []*memUsed
	var idle []*memRoom
	txn := d.db.Txn(false)
	nowNs := now.UnixNano()
	next := int64(never)
	scan := func(table, index string, visit func(o any) (at int64, more bool)) error {
		it, err := txn.Get(table, index)
		if err != nil {
			return err
		}
		for o := it.Next(); o != nil; o = it.Next() {
			at, more := visit(o)
			if !more {
				next = min(next, at)
				return nil
			}
		}
		return nil
	}
	err := scan(tableSeats, "expires", func(o any) (int64, bool) {
		s := o.(*memSeat)
		if s.ExpiresAt > nowNs {
			return s.ExpiresAt, false
		}
		lapsed = append(lapsed, s)
		return 0, true
	})
	if err == nil {
		err = scan(tableUsed, "expires", func(o any) (int64, bool) {
			u := o.(*memUsed)
			if u.ExpiresAt > nowNs {
				return u.ExpiresAt, false
			}
			used = append(used, u)
			return 0, true
		})
	}
	if err == nil && idleFor >= 0 {
		err = scan(tableRooms, "idle", func(o any) (int64, bool) {
			r := o.(*memRoom)
			if r.IdleAt == never {
				return never, false
			}
			if due := r.IdleAt + int64(idleFor); due > nowNs {
				return due, false
			}
			idle = append(idle, r)
			return 0, true
		})
	}
	if err != nil {
		return res, err
	}
	if len(lapsed)+len(used)+len(idle) > 0 {
		err = d.write(func(txn *memdb.Txn) error {
			for _, s := range lapsed {
				// Re-read: the seat may have been renewed or taken since.
				o, err := txn.First(tableSeats, "id", s.Key)
				if err != nil {
					return err
				}
				if o == nil || o.(*memSeat).ExpiresAt > nowNs {
					continue
				}
				if err := dropSeat(txn, o.(*memSeat), now); err != nil {
					return err
				}
			}
			for _, u := range used {
				if err := txn.Delete(tableUsed, u); err != nil {
					return err
				}
			}
			for _, r := range idle {
				// Re-read: a seat may have been reserved since the scan.
				cur, err := getRoom(txn, r.ID)
				if err != nil || cur.IdleAt != r.IdleAt {
					continue
				}
				if _, err := txn.DeleteAll(tableSeats, "room", r.ID); err != nil {
					return err
				}
				if err := txn.Delete(tableRooms, cur); err != nil {
					return err
				}
				res.Closed = append(res.Closed, cur.RoomRecord)
			}
			return nil
		})
		if err != nil {
			return res, err
		}
		// Our write closed changed: the caller sweeps again at once and
		// computes Next from the new state.
	}
	if next != never {
		res.Next = time.Unix(0, next)
	}
	res.Changed = changed
	return res, nil
}
