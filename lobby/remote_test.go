package lobby

import (
	"context"
	"errors"
	"testing"
	"time"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// twoNodes are two lobbies, nodes "a" and "b", sharing one directory and
// one secret, as the nodes of a cluster do.
func twoNodes(t *testing.T) (a, b *env) {
	dir := NewMemDirectory()
	secret := []byte("a shared cluster secret, 32 byte")
	urls := func(node string) string { return "https://" + node + ".example" }
	a = newEnv(t, Options{Node: "a", Directory: dir, Secret: secret, NodeURL: urls})
	b = newEnv(t, Options{Node: "b", Directory: dir, Secret: secret, NodeURL: urls})
	return a, b
}

// TestRemoteRoomSeat: a room made on node a is listed and joinable on
// node b; b's seat names node a and a's URL, is redeemed on a and refused
// on b.
func TestRemoteRoomSeat(t *testing.T) {
	a, b := twoNodes(t)
	ctx := context.Background()
	ann, _ := a.guest("ann")
	g, err := a.l.CreateRoom(ctx, ann, &tickwirev1.CreateRoom{Game: "arena"})
	if err != nil || g.Url != "" {
		t.Fatalf("CreateRoom on a = %+v, %v; want no URL (this node)", g, err)
	}
	bob, _ := b.guest("bob")
	list, err := b.l.ListRooms(ctx, "arena")
	if err != nil || len(list) != 1 || list[0].Id != g.RoomId {
		t.Fatalf("b lists %+v, %v", list, err)
	}
	jg, err := b.l.Join(ctx, bob, &tickwirev1.LobbyJoin{JoinCode: g.JoinCode})
	if err != nil || jg.Url != "https://a.example" {
		t.Fatalf("join by code on b = %+v, %v; want a's URL", jg, err)
	}
	if _, err := b.l.RedeemSeat(jg.Seat, bob, g.RoomId); !errors.Is(err, ErrSeatInvalid) {
		t.Fatalf("redeem on b: %v, want ErrSeatInvalid (seat is for node a)", err)
	}
	if room, err := a.l.RedeemSeat(jg.Seat, bob, g.RoomId); err != nil || room != g.RoomId {
		t.Fatalf("redeem on a = %q, %v", room, err)
	}
}

// TestHostMatch: a matched room started on request, with a seat per
// player, private, sized for them.
func TestHostMatch(t *testing.T) {
	a, b := twoNodes(t)
	ctx := context.Background()
	p1, _ := a.guest("p1")
	p2, _ := b.guest("p2")
	m, err := a.l.HostMatch(ctx, "duel", []string{p1, p2})
	if err != nil || m.Node != "a" || len(m.Seats) != 2 {
		t.Fatalf("HostMatch = %+v, %v", m, err)
	}
	rec, err := b.l.dir.Room(ctx, m.RoomID)
	if err != nil || !rec.Private || rec.MaxPlayers != 2 || rec.Seats != 2 || rec.Node != "a" {
		t.Fatalf("room record = %+v, %v", rec, err)
	}
	if _, err := a.l.RedeemSeat(m.Seats[p2], p2, m.RoomID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.l.HostMatch(ctx, "duel", []string{p1}); !errors.Is(err, ErrAlreadyInRoom) {
		t.Fatalf("HostMatch with a seated player: %v", err)
	}
	if _, err := a.l.HostMatch(ctx, "duel", []string{"x", "x"}); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("HostMatch with a duplicate: %v", err)
	}
	if _, err := a.l.HostMatch(ctx, "nope", []string{"x"}); !errors.Is(err, ErrGameNotFound) {
		t.Fatalf("HostMatch of no game: %v", err)
	}
}

// TestFormGroupsExported: the exported rules match two equal players of a
// duel at once and hold a lone one.
func TestFormGroupsExported(t *testing.T) {
	a, _ := twoNodes(t)
	g, _ := a.l.game("duel")
	now := time.Now()
	groups, _ := a.l.FormGroups(g, []MatchCandidate{{ID: "x", Skill: 1500, Size: 1, Created: now}, {ID: "y", Skill: 1510, Size: 1, Created: now}}, now)
	if len(groups) != 1 || len(groups[0]) != 2 {
		t.Fatalf("groups = %v", groups)
	}
	groups, _ = a.l.FormGroups(g, []MatchCandidate{{ID: "x", Skill: 1500, Size: 1, Created: now}}, now)
	if len(groups) != 0 {
		t.Fatalf("a lone ticket formed %v", groups)
	}
}

// TestQuickJoinPrefersThisNode: with joinable rooms on both nodes, a
// quick-join seats the player on the node he asked, even in a fuller room
// elsewhere.
func TestQuickJoinPrefersThisNode(t *testing.T) {
	a, b := twoNodes(t)
	ctx := context.Background()
	var onA string
	for i := range 3 {
		p, _ := a.guest("a")
		g, err := a.l.QuickJoin(ctx, p, "arena")
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			onA = g.RoomId
		}
	}
	p, _ := b.guest("b1")
	mine, err := b.l.CreateRoom(ctx, p, &tickwirev1.CreateRoom{Game: "arena"})
	if err != nil {
		t.Fatal(err)
	}
	q, _ := b.guest("b2")
	g, err := b.l.QuickJoin(ctx, q, "arena")
	if err != nil || g.RoomId != mine.RoomId || g.Url != "" {
		t.Fatalf("quick-join on b = %+v, %v; want b's room %s, not a's fuller %s", g, err, mine.RoomId, onA)
	}
}
