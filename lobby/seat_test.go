package lobby

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tickwire/tickwire/protocol"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// seatRefused asserts err is a SEAT_INVALID refusal whose message has why.
func seatRefused(t *testing.T, what string, err error, why string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: seat accepted", what)
	}
	pe := protocol.AsError(err)
	if !errors.Is(err, ErrSeatInvalid) || pe.Code != protocol.CodeSeatInvalid || !strings.Contains(pe.Msg, why) {
		t.Fatalf("%s: got %v (code %v), want SEAT_INVALID saying %q", what, err, pe.Code, why)
	}
}

func TestSeatRefusals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		e := newEnv(t, Options{Secret: []byte("0123456789abcdef-secret")})
		ann, annToken := e.guest("ann")
		bob, _ := e.guest("bob")
		g, err := e.l.CreateRoom(ctx, ann, &tickwirev1.CreateRoom{Game: "arena"})
		if err != nil {
			t.Fatal(err)
		}
		flip := func(s string, i int) string {
			b := []byte(s)
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			return string(b)
		}

		_, err = e.l.RedeemSeat(flip(g.Seat, len(g.Seat)/3), ann, g.RoomId) // in the payload
		seatRefused(t, "forged payload", err, "forged")
		_, err = e.l.RedeemSeat(flip(g.Seat, len(g.Seat)-5), ann, g.RoomId) // in the MAC
		seatRefused(t, "forged MAC", err, "forged")
		for _, bad := range []string{"", "x", "!!!!!!!!!!", strings.Repeat("A", 2000), annToken} {
			_, err = e.l.RedeemSeat(bad, ann, g.RoomId)
			seatRefused(t, "malformed "+bad[:min(len(bad), 12)], err, "malformed")
		}
		for n := 1; n <= 4; n++ { // truncated: malformed or forged, depending on the cut
			_, err = e.l.RedeemSeat(g.Seat[:len(g.Seat)-n], ann, g.RoomId)
			seatRefused(t, "truncated", err, "")
		}
		// Another server's seat (another secret) is forged here.
		other := newEnv(t, Options{Secret: []byte("another secret, 16+ bytes")})
		og, err := other.l.CreateRoom(ctx, ann, &tickwirev1.CreateRoom{Game: "arena"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.l.RedeemSeat(og.Seat, ann, og.RoomId)
		seatRefused(t, "other secret", err, "forged")
		// Same secret, other node: refused by node.
		node2 := newEnv(t, Options{Secret: []byte("0123456789abcdef-secret"), Node: "node-2"})
		_, err = node2.l.RedeemSeat(g.Seat, ann, g.RoomId)
		seatRefused(t, "other node", err, "node")

		_, err = e.l.RedeemSeat(g.Seat, bob, g.RoomId)
		seatRefused(t, "wrong player", err, "another player")
		_, err = e.l.RedeemSeat(g.Seat, ann, "someroom")
		seatRefused(t, "wrong room", err, "is for room")
		if err := e.l.Rejoin(ann, g.RoomId); err == nil {
			t.Fatal("Rejoin before the seat was taken")
		}

		before := e.dump()
		room, err := e.l.RedeemSeat(g.Seat, ann, "")
		if err != nil || room != g.RoomId {
			t.Fatalf("redeem: %q, %v", room, err)
		}
		if e.dump() == before {
			t.Fatal("redeeming changed nothing")
		}
		_, err = e.l.RedeemSeat(g.Seat, ann, g.RoomId)
		seatRefused(t, "reused", err, "already used")

		// Reconnection: the taken place lets ann back in, until released.
		if err := e.l.Rejoin(ann, g.RoomId); err != nil {
			t.Fatalf("Rejoin: %v", err)
		}
		seatRefused(t, "rejoin other room", e.l.Rejoin(ann, "someroom"), "no taken seat")
		seatRefused(t, "rejoin other player", e.l.Rejoin(bob, g.RoomId), "no taken seat")
		renewed, err := e.l.Join(ctx, ann, &tickwirev1.LobbyJoin{RoomId: g.RoomId})
		if err != nil {
			t.Fatalf("renew a taken seat: %v", err)
		}
		if _, err := e.l.RedeemSeat(renewed.Seat, ann, g.RoomId); err != nil {
			t.Fatalf("redeem a renewed seat: %v", err)
		}
		if err := e.l.Release(ann, g.RoomId); err != nil {
			t.Fatal(err)
		}
		seatRefused(t, "rejoin after release", e.l.Rejoin(ann, g.RoomId), "no taken seat")
		if _, err := e.l.CreateTicket(ctx, ann, &tickwirev1.CreateTicket{Game: "duel"}); err != nil {
			t.Fatalf("released player queues: %v", err)
		}

		// Expired: bob's seat lapses after SeatTTL, and his place with it.
		jb, err := e.l.Join(ctx, bob, &tickwirev1.LobbyJoin{RoomId: g.RoomId})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Second)
		synctest.Wait()
		_, err = e.l.RedeemSeat(jb.Seat, bob, g.RoomId)
		seatRefused(t, "expired", err, "expired")
		if _, held, _ := e.l.dir.SeatOf(ctx, bob); held {
			t.Fatal("lapsed reservation still held")
		}

		// The room ended: its seats die with it.
		carl, _ := e.guest("carl")
		jc, err := e.l.Join(ctx, carl, &tickwirev1.LobbyJoin{RoomId: g.RoomId})
		if err != nil {
			t.Fatal(err)
		}
		h, err := e.rooms.Get(g.RoomId)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Close(ctx); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		_, err = e.l.RedeemSeat(jc.Seat, carl, g.RoomId)
		seatRefused(t, "room ended", err, "ended")
		if _, err := e.l.dir.Room(ctx, g.RoomId); !errors.Is(err, ErrRoomNotFound) {
			t.Fatalf("ended room still known: %v", err)
		}

		// Guest tokens expire too.
		time.Sleep(24 * time.Hour)
		if _, err := e.l.Authenticate(annToken); !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("expired token: %v", err)
		}
	})
}

// TestSeatSingleUseConcurrent redeems one seat from many goroutines: one
// wins.
func TestSeatSingleUseConcurrent(t *testing.T) {
	e := newEnv(t, Options{})
	ann, _ := e.guest("ann")
	g, err := e.l.CreateRoom(context.Background(), ann, &tickwirev1.CreateRoom{Game: "arena"})
	if err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := e.l.RedeemSeat(g.Seat, ann, g.RoomId); err == nil {
				wins.Add(1)
			} else if !errors.Is(err, ErrSeatInvalid) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d redemptions of one seat", wins.Load())
	}
}

func TestIdleRoomClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		e := newEnv(t, Options{})
		ann, _ := e.guest("ann")
		bob, _ := e.guest("bob")
		idle, err := e.l.CreateRoom(ctx, ann, &tickwirev1.CreateRoom{Game: "arena"})
		if err != nil {
			t.Fatal(err)
		}
		busy, err := e.l.CreateRoom(ctx, bob, &tickwirev1.CreateRoom{Game: "arena"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.l.RedeemSeat(busy.Seat, bob, busy.RoomId); err != nil {
			t.Fatal(err)
		}
		// ann's seat lapses at 30 s; her room idles from then for 60 s.
		time.Sleep(89 * time.Second)
		synctest.Wait()
		if _, err := e.rooms.Get(idle.RoomId); err != nil {
			t.Fatalf("room closed early: %v", err)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if _, err := e.rooms.Get(idle.RoomId); err == nil {
			t.Fatal("idle room still running")
		}
		if _, err := e.l.dir.Room(ctx, idle.RoomId); !errors.Is(err, ErrRoomNotFound) {
			t.Fatalf("idle room still known: %v", err)
		}
		if _, err := e.rooms.Get(busy.RoomId); err != nil {
			t.Fatalf("room with a player closed: %v", err)
		}
	})
}

func FuzzVerifySeat(f *testing.F) {
	s := newSigner([]byte("fuzzing secret 0123456789"))
	now := time.UnixMilli(1_700_000_000_000)
	seat, _ := s.issueSeat("p-player", "room1234", "local", now.Add(time.Minute))
	f.Add(seat)
	f.Add(s.issueToken("p-player", now.Add(time.Minute)))
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := s.verifySeat(tok, now)
		// Only seats this signer issued may verify. (The fuzzer's workers
		// each issue their own seat, with another nonce, so the seed is
		// not byte-equal to the worker's seat: compare what it claims.)
		if err == nil && (c.Player != "p-player" || c.Room != "room1234" || c.Node != "local") {
			t.Fatalf("%q verified as %+v", tok, c)
		}
	})
}
