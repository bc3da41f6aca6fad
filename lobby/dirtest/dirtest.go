// Package dirtest is the conformance suite of lobby.Directory: the
// behaviour every implementation must share (MemDirectory on one node, the
// NATS-backed directory of cluster mode), as tests an implementation's own
// test file runs with Run.
package dirtest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tickwire/tickwire/lobby"
)

// Options configure Run.
type Options struct {
	// New returns a fresh, empty directory for one subtest; it is closed
	// (if it needs closing) by the test's cleanup.
	New func(t *testing.T) lobby.Directory
	// Node is the node name the directory serves: the suite's rooms and
	// seats name it, so that a directory sweeping only its own node's
	// rooms sweeps them. Empty: "n1".
	Node string
	// Settle is how long a read may take to reflect a write made through
	// the same directory for listings (Rooms) and Sweep's Changed channel.
	// Zero: 5 seconds.
	Settle time.Duration
}

// Run runs every conformance test as a subtest of t.
func Run(t *testing.T, o Options) {
	if o.Node == "" {
		o.Node = "n1"
	}
	if o.Settle == 0 {
		o.Settle = 5 * time.Second
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s *suite)
	}{
		{"AddAndLookUp", testAddAndLookUp},
		{"JoinCodes", testJoinCodes},
		{"AddRoomRefusals", testAddRoomRefusals},
		{"Reserve", testReserve},
		{"Redeem", testRedeem},
		{"ReleaseAndRemove", testReleaseAndRemove},
		{"SweepSeats", testSweepSeats},
		{"SweepIdleRooms", testSweepIdleRooms},
		{"SweepChanged", testSweepChanged},
		{"ConcurrentLastSeats", testConcurrentLastSeats},
		{"ConcurrentOnePlayer", testConcurrentOnePlayer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			tc.fn(t, &suite{Options: o, d: o.New(t), ctx: ctx, t0: time.Now().Truncate(time.Millisecond)})
		})
	}
}

type suite struct {
	Options
	d      lobby.Directory
	ctx    context.Context
	t0     time.Time
	nonces atomic.Int64
}

func (s *suite) room(id, game string, max int, at time.Duration) lobby.RoomRecord {
	return lobby.RoomRecord{ID: id, Game: game, Node: s.Node, MaxPlayers: max, Created: s.t0.Add(at), Managed: true}
}

// seat is a reservation of player in room lapsing after ttl.
func (s *suite) seat(room, player string, ttl time.Duration) lobby.SeatRecord {
	// Real nonces are 12 random bytes, not text: a store must keep them
	// byte for byte.
	var b [12]byte
	binary.BigEndian.PutUint64(b[:], uint64(s.t0.UnixNano()))
	binary.BigEndian.PutUint32(b[8:], uint32(s.nonces.Add(1))|0xff000080)
	return lobby.SeatRecord{Room: room, Player: player, Node: s.Node, Nonce: string(b[:]), Expires: s.t0.Add(ttl)}
}

func claims(seat lobby.SeatRecord) lobby.SeatClaims {
	return lobby.SeatClaims{Player: seat.Player, Room: seat.Room, Node: seat.Node, Expires: seat.Expires, Nonce: seat.Nonce}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, want error, what string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

func (s *suite) get(t *testing.T, id string) lobby.RoomRecord {
	t.Helper()
	r, err := s.d.Room(s.ctx, id)
	must(t, err)
	return r
}

// listed waits (up to Settle) until Rooms(game) lists want, in order.
func (s *suite) listed(t *testing.T, game string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(s.Settle)
	for {
		rs, err := s.d.Rooms(s.ctx, game)
		must(t, err)
		var got []string
		for _, r := range rs {
			got = append(got, r.ID)
		}
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Rooms(%q) = %v, want %v", game, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func testAddAndLookUp(t *testing.T, s *suite) {
	r1 := s.room("r1", "alpha", 4, 0)
	r1.JoinCode = "AAAAAA"
	r2 := s.room("r2", "beta", 2, time.Second)
	r2.Private, r2.JoinCode = true, "BBBBBB"
	r3 := s.room("r3", "alpha", 8, 2*time.Second)
	r3.Managed = false
	must(t, s.d.AddRoom(s.ctx, r3, nil))
	must(t, s.d.AddRoom(s.ctx, r1, []lobby.SeatRecord{s.seat("r1", "p1", time.Minute)}))
	must(t, s.d.AddRoom(s.ctx, r2, nil))

	got := s.get(t, "r1")
	if got.ID != "r1" || got.Game != "alpha" || got.Node != s.Node || got.JoinCode != "AAAAAA" || got.MaxPlayers != 4 ||
		!got.Managed || got.Private || got.Seats != 1 || !got.Created.Equal(r1.Created) || !got.IdleSince.IsZero() {
		t.Fatalf("Room(r1) = %+v", got)
	}
	if got := s.get(t, "r2"); !got.Private || got.Seats != 0 || !got.IdleSince.Equal(r2.Created) {
		t.Fatalf("Room(r2) = %+v, want private, no seats, idle since created", got)
	}
	if got, err := s.d.RoomByCode(s.ctx, "BBBBBB"); err != nil || got.ID != "r2" {
		t.Fatalf("RoomByCode(BBBBBB) = %+v, %v", got, err)
	}
	_, err := s.d.Room(s.ctx, "nope")
	wantErr(t, err, lobby.ErrRoomNotFound, "Room(nope)")
	_, err = s.d.RoomByCode(s.ctx, "ZZZZZZ")
	wantErr(t, err, lobby.ErrRoomNotFound, "RoomByCode(ZZZZZZ)")
	_, err = s.d.RoomByCode(s.ctx, "")
	wantErr(t, err, lobby.ErrRoomNotFound, "RoomByCode(empty)")
	s.listed(t, "alpha", "r1", "r3")
	s.listed(t, "", "r1", "r2", "r3")
	s.listed(t, "gamma")

	seat, ok, err := s.d.SeatOf(s.ctx, "p1")
	must(t, err)
	if !ok || seat.Room != "r1" || seat.Taken || seat.Node != s.Node {
		t.Fatalf("SeatOf(p1) = %+v, %v", seat, ok)
	}
	if _, ok, err := s.d.SeatOf(s.ctx, "p2"); err != nil || ok {
		t.Fatalf("SeatOf(p2) = %v, %v; want none", ok, err)
	}
	seats, err := s.d.Seats(s.ctx, "r1")
	must(t, err)
	if len(seats) != 1 || seats[0].Player != "p1" {
		t.Fatalf("Seats(r1) = %+v", seats)
	}
}

func testJoinCodes(t *testing.T, s *suite) {
	r1 := s.room("r1", "alpha", 4, 0)
	r1.JoinCode = "CCCCCC"
	must(t, s.d.AddRoom(s.ctx, r1, nil))
	r2 := s.room("r2", "alpha", 4, time.Second)
	r2.JoinCode = "CCCCCC"
	wantErr(t, s.d.AddRoom(s.ctx, r2, []lobby.SeatRecord{s.seat("r2", "p1", time.Minute)}), lobby.ErrJoinCodeTaken, "AddRoom with a taken code")
	_, err := s.d.Room(s.ctx, "r2")
	wantErr(t, err, lobby.ErrRoomNotFound, "the refused room")
	if _, ok, _ := s.d.SeatOf(s.ctx, "p1"); ok {
		t.Fatal("the refused room's seat was kept")
	}
	must(t, s.d.RemoveRoom(s.ctx, "r1"))
	must(t, s.d.AddRoom(s.ctx, r2, nil)) // the code is free again
	if got, err := s.d.RoomByCode(s.ctx, "CCCCCC"); err != nil || got.ID != "r2" {
		t.Fatalf("RoomByCode after reuse = %+v, %v", got, err)
	}
}

func testAddRoomRefusals(t *testing.T, s *suite) {
	must(t, s.d.AddRoom(s.ctx, s.room("r1", "alpha", 4, 0), []lobby.SeatRecord{s.seat("r1", "p1", time.Minute)}))
	err := s.d.AddRoom(s.ctx, s.room("r2", "alpha", 4, 0), []lobby.SeatRecord{s.seat("r2", "p2", time.Minute), s.seat("r2", "p1", time.Minute)})
	wantErr(t, err, lobby.ErrAlreadyInRoom, "AddRoom with a seated player")
	if _, ok, _ := s.d.SeatOf(s.ctx, "p2"); ok {
		t.Fatal("a refused AddRoom kept p2's seat")
	}
	err = s.d.AddRoom(s.ctx, s.room("r3", "alpha", 2, 0), []lobby.SeatRecord{s.seat("r3", "a", time.Minute), s.seat("r3", "b", time.Minute), s.seat("r3", "c", time.Minute)})
	wantErr(t, err, lobby.ErrRoomFull, "AddRoom with more seats than places")
	for _, id := range []string{"r2", "r3"} {
		_, err := s.d.Room(s.ctx, id)
		wantErr(t, err, lobby.ErrRoomNotFound, "refused room "+id)
	}
}

func testReserve(t *testing.T, s *suite) {
	must(t, s.d.AddRoom(s.ctx, s.room("r1", "alpha", 2, 0), []lobby.SeatRecord{s.seat("r1", "p1", time.Minute)}))
	must(t, s.d.AddRoom(s.ctx, s.room("r2", "alpha", 2, 0), nil))
	p2 := s.seat("r1", "p2", time.Minute)
	must(t, s.d.Reserve(s.ctx, p2))
	wantErr(t, s.d.Reserve(s.ctx, s.seat("r1", "p3", time.Minute)), lobby.ErrRoomFull, "Reserve in a full room")
	wantErr(t, s.d.Reserve(s.ctx, s.seat("nope", "p3", time.Minute)), lobby.ErrRoomNotFound, "Reserve in no room")
	wantErr(t, s.d.Reserve(s.ctx, s.seat("r2", "p1", time.Minute)), lobby.ErrAlreadyInRoom, "Reserve in a second room")
	if r := s.get(t, "r1"); r.Seats != 2 {
		t.Fatalf("r1 seats = %d, want 2", r.Seats)
	}
	renewed := s.seat("r1", "p1", 2*time.Minute)
	must(t, s.d.Reserve(s.ctx, renewed)) // renewing takes no new place
	if r := s.get(t, "r1"); r.Seats != 2 {
		t.Fatalf("r1 seats after a renewal = %d, want 2", r.Seats)
	}
	got, ok, err := s.d.SeatOf(s.ctx, "p1")
	must(t, err)
	if !ok || got.Nonce != renewed.Nonce || !got.Expires.Equal(renewed.Expires) {
		t.Fatalf("SeatOf(p1) after renewal = %+v, want nonce %s", got, renewed.Nonce)
	}
	seats, err := s.d.Seats(s.ctx, "r1")
	must(t, err)
	if len(seats) != 2 {
		t.Fatalf("Seats(r1) = %+v", seats)
	}
}

func testRedeem(t *testing.T, s *suite) {
	first := s.seat("r1", "p1", time.Minute)
	must(t, s.d.AddRoom(s.ctx, s.room("r1", "alpha", 4, 0), []lobby.SeatRecord{first}))
	must(t, s.d.Redeem(s.ctx, claims(first)))
	got, ok, err := s.d.SeatOf(s.ctx, "p1")
	must(t, err)
	if !ok || !got.Taken {
		t.Fatalf("SeatOf after Redeem = %+v, %v; want taken", got, ok)
	}
	wantErr(t, s.d.Redeem(s.ctx, claims(first)), lobby.ErrSeatInvalid, "a seat redeemed twice")

	// A renewal keeps the place taken; the older seat is superseded.
	second := s.seat("r1", "p1", time.Minute)
	must(t, s.d.Reserve(s.ctx, second))
	if got, _, _ := s.d.SeatOf(s.ctx, "p1"); !got.Taken {
		t.Fatalf("renewing a taken place untook it: %+v", got)
	}
	third := s.seat("r1", "p1", time.Minute)
	must(t, s.d.Reserve(s.ctx, third))
	wantErr(t, s.d.Redeem(s.ctx, claims(second)), lobby.ErrSeatInvalid, "a superseded seat")
	must(t, s.d.Redeem(s.ctx, claims(third)))

	p2 := s.seat("r1", "p2", time.Minute)
	must(t, s.d.Reserve(s.ctx, p2))
	must(t, s.d.Release(s.ctx, "p2", "r1", s.t0))
	wantErr(t, s.d.Redeem(s.ctx, claims(p2)), lobby.ErrSeatInvalid, "a released reservation")

	p3 := s.seat("r1", "p3", time.Minute)
	must(t, s.d.Reserve(s.ctx, p3))
	must(t, s.d.RemoveRoom(s.ctx, "r1"))
	wantErr(t, s.d.Redeem(s.ctx, claims(p3)), lobby.ErrSeatInvalid, "a seat of a removed room")
	wantErr(t, s.d.Redeem(s.ctx, claims(s.seat("nope", "p4", time.Minute))), lobby.ErrSeatInvalid, "a seat of no room")
}

func testReleaseAndRemove(t *testing.T, s *suite) {
	must(t, s.d.AddRoom(s.ctx, s.room("r1", "alpha", 4, 0), []lobby.SeatRecord{s.seat("r1", "p1", time.Minute), s.seat("r1", "p2", time.Minute)}))
	must(t, s.d.Release(s.ctx, "p1", "r1", s.t0.Add(time.Second)))
	must(t, s.d.Release(s.ctx, "p1", "r1", s.t0.Add(time.Second))) // not held: fine
	must(t, s.d.Release(s.ctx, "p2", "r2", s.t0.Add(time.Second))) // another room: nothing
	if r := s.get(t, "r1"); r.Seats != 1 || !r.IdleSince.IsZero() {
		t.Fatalf("after one release: %+v", r)
	}
	idle := s.t0.Add(3 * time.Second)
	must(t, s.d.Release(s.ctx, "p2", "r1", idle))
	if r := s.get(t, "r1"); r.Seats != 0 || !r.IdleSince.Equal(idle) {
		t.Fatalf("after the last release: %+v, want idle since %v", r, idle)
	}
	if _, ok, _ := s.d.SeatOf(s.ctx, "p1"); ok {
		t.Fatal("p1 still seated after Release")
	}
	must(t, s.d.Reserve(s.ctx, s.seat("r1", "p3", time.Minute)))
	must(t, s.d.RemoveRoom(s.ctx, "r1"))
	must(t, s.d.RemoveRoom(s.ctx, "r1")) // unknown: fine
	if _, ok, _ := s.d.SeatOf(s.ctx, "p3"); ok {
		t.Fatal("p3 still seated in a removed room")
	}
	_, err := s.d.Room(s.ctx, "r1")
	wantErr(t, err, lobby.ErrRoomNotFound, "a removed room")
	s.listed(t, "")
	// The freed player may sit elsewhere at once.
	must(t, s.d.AddRoom(s.ctx, s.room("r2", "alpha", 4, 0), []lobby.SeatRecord{s.seat("r2", "p3", time.Minute)}))
}

func testSweepSeats(t *testing.T, s *suite) {
	soon, later := s.seat("r1", "p1", time.Second), s.seat("r1", "p2", 10*time.Second)
	taken := s.seat("r1", "p3", time.Second)
	must(t, s.d.AddRoom(s.ctx, s.room("r1", "alpha", 4, 0), []lobby.SeatRecord{soon, later, taken}))
	must(t, s.d.Redeem(s.ctx, claims(taken)))
	res, err := s.d.Sweep(s.ctx, s.t0.Add(2*time.Second), time.Hour)
	must(t, err)
	if len(res.Closed) != 0 {
		t.Fatalf("closed %+v", res.Closed)
	}
	if _, ok, _ := s.d.SeatOf(s.ctx, "p1"); ok {
		t.Fatal("a lapsed reservation survived Sweep")
	}
	for _, p := range []string{"p2", "p3"} {
		if _, ok, _ := s.d.SeatOf(s.ctx, p); !ok {
			t.Fatalf("Sweep dropped %s", p)
		}
	}
	if r := s.get(t, "r1"); r.Seats != 2 {
		t.Fatalf("seats after Sweep = %d, want 2", r.Seats)
	}
	res, err = s.d.Sweep(s.ctx, s.t0.Add(2*time.Second), time.Hour)
	must(t, err)
	if res.Next.IsZero() || res.Next.After(later.Expires) {
		t.Fatalf("Next = %v, want by %v (p2's reservation lapses)", res.Next, later.Expires)
	}
	wantErr(t, s.d.Redeem(s.ctx, claims(soon)), lobby.ErrSeatInvalid, "a swept reservation")
}

func testSweepIdleRooms(t *testing.T, s *suite) {
	managed := s.room("r1", "alpha", 4, 0)
	adopted := s.room("r2", "alpha", 4, 0)
	adopted.Managed = false
	busy := s.room("r3", "alpha", 4, 0)
	must(t, s.d.AddRoom(s.ctx, managed, nil))
	must(t, s.d.AddRoom(s.ctx, adopted, nil))
	must(t, s.d.AddRoom(s.ctx, busy, []lobby.SeatRecord{s.seat("r3", "p1", time.Hour)}))
	res, err := s.d.Sweep(s.ctx, s.t0.Add(4*time.Second), 5*time.Second)
	must(t, err)
	if len(res.Closed) != 0 {
		t.Fatalf("closed too early: %+v", res.Closed)
	}
	res, err = s.d.Sweep(s.ctx, s.t0.Add(6*time.Second), -1)
	must(t, err)
	if len(res.Closed) != 0 {
		t.Fatalf("closed with idleFor < 0: %+v", res.Closed)
	}
	res, err = s.d.Sweep(s.ctx, s.t0.Add(6*time.Second), 5*time.Second)
	must(t, err)
	if len(res.Closed) != 1 || res.Closed[0].ID != "r1" {
		t.Fatalf("closed %+v, want r1 only", res.Closed)
	}
	_, err = s.d.Room(s.ctx, "r1")
	wantErr(t, err, lobby.ErrRoomNotFound, "a closed idle room")
	for _, id := range []string{"r2", "r3"} {
		s.get(t, id)
	}
}

func testSweepChanged(t *testing.T, s *suite) {
	must(t, s.d.AddRoom(s.ctx, s.room("r1", "alpha", 4, 0), nil))
	res, err := s.d.Sweep(s.ctx, s.t0, time.Hour)
	must(t, err)
	if res.Changed == nil {
		t.Fatal("Sweep returned no Changed channel")
	}
	must(t, s.d.Reserve(s.ctx, s.seat("r1", "p1", time.Second)))
	select {
	case <-res.Changed:
	case <-time.After(s.Settle):
		t.Fatal("Changed not closed after a reservation")
	}
}

func testConcurrentLastSeats(t *testing.T, s *suite) {
	must(t, s.d.AddRoom(s.ctx, s.room("r1", "alpha", 3, 0), nil))
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { errs[i] = s.d.Reserve(s.ctx, s.seat("r1", fmt.Sprintf("p%d", i), time.Minute)) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, lobby.ErrRoomFull):
			t.Fatalf("Reserve: %v", err)
		}
	}
	if r := s.get(t, "r1"); ok != 3 || r.Seats != 3 {
		t.Fatalf("%d reservations succeeded, room has %d seats; want 3 and 3", ok, r.Seats)
	}
}

func testConcurrentOnePlayer(t *testing.T, s *suite) {
	for i := range 5 {
		must(t, s.d.AddRoom(s.ctx, s.room(fmt.Sprintf("r%d", i), "alpha", 3, 0), nil))
	}
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Go(func() { errs[i] = s.d.Reserve(s.ctx, s.seat(fmt.Sprintf("r%d", i), "p1", time.Minute)) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, lobby.ErrAlreadyInRoom):
			t.Fatalf("Reserve: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d rooms seated one player", ok)
	}
	total := 0
	for i := range 5 {
		total += s.get(t, fmt.Sprintf("r%d", i)).Seats
	}
	if total != 1 {
		t.Fatalf("%d places counted for one player", total)
	}
}
