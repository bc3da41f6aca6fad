package crossword

import (
	"slices"
	"testing"

	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
	"github.com/tickwire/tickwire/tick"
)

func (w *world) topics(p string) []string { return w.g.Topics(w.h.Room(), tick.PlayerID(p), nil) }

func (w *world) version(topic string) uint64 { return w.g.TopicVersion(w.h.Room(), topic) }

func (w *world) fill(topic string) *crosswordv1.State {
	dst := &crosswordv1.State{}
	w.g.FillTopic(w.h.Room(), topic, dst)
	return dst
}

func (w *world) view(p string, x, y, width, height int) {
	w.input(p, &crosswordv1.Input{Action: &crosswordv1.Input_View{View: &crosswordv1.View{X: int32(x), Y: int32(y), W: uint32(width), H: uint32(height)}}})
}

func chunkTopics(t []string) []string {
	return slices.DeleteFunc(slices.Clone(t), func(s string) bool { return s == TopicOverview || s == TopicLeaderboard || s[:3] == TopicMe })
}

func TestTopicsFollowTheView(t *testing.T) {
	w := newWorld(t, Config{}, "a")
	got := w.topics("a")
	if !slices.Contains(got, TopicOverview) || !slices.Contains(got, TopicLeaderboard) || !slices.Contains(got, "me:a") {
		t.Fatalf("topics %q lack the overview, leaderboard or own topic", got)
	}
	// An empty board has no chunk topics: panning over it sends nothing.
	if chunks := chunkTopics(got); len(chunks) != 0 {
		t.Fatalf("chunks %q on an empty board", chunks)
	}
	for _, tc := range []struct {
		x, y, w, h int
		view       *crosswordv1.View
	}{
		{0, 0, 128, 128, &crosswordv1.View{X: 0, Y: 0, W: 128, H: 128}},
		{-50, 100, 5000, 16, &crosswordv1.View{X: 0, Y: 100, W: MaxView, H: 16}},                                                // cut and moved inside
		{WorldSize, WorldSize, 0, 0, &crosswordv1.View{X: WorldSize - MaxView, Y: WorldSize - MaxView, W: MaxView, H: MaxView}}, // 0 is the largest
	} {
		w.view("a", tc.x, tc.y, tc.w, tc.h)
		if chunks := chunkTopics(w.topics("a")); len(chunks) != 0 {
			t.Errorf("view %d,%d %d×%d: chunks %q of an empty board", tc.x, tc.y, tc.w, tc.h, chunks)
		}
		if v := w.player("a").View; v.X != tc.view.X || v.Y != tc.view.Y || v.W != tc.view.W || v.H != tc.view.H {
			t.Errorf("view %d,%d %d×%d became %v, want %v", tc.x, tc.y, tc.w, tc.h, v, tc.view)
		}
	}
	// Looking at the corner, a play at the centre is out of view.
	w.rack("a", "catxyzq")
	w.refused("a", C-1, C, true, "cat", ReasonOutOfView)
	w.view("a", C-64, C-64, 128, 128)
	w.mustPlay("a", C-1, C, true, "cat")
	// Its chunks are topics now: of a, who looks at them, and of b, who
	// joins later looking at the centre, not of either looking elsewhere.
	want := []string{ChunkTopic((C-1)/ChunkSize, C/ChunkSize), ChunkTopic((C+1)/ChunkSize, C/ChunkSize)}
	slices.Sort(want)
	want = slices.Compact(want)
	got = chunkTopics(w.topics("a"))
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("a's chunks after its play = %q, want %q", got, want)
	}
	w.view("a", 0, 0, 128, 128)
	if chunks := chunkTopics(w.topics("a")); len(chunks) != 0 {
		t.Errorf("a's chunks looking at the empty corner = %q", chunks)
	}
}

// TestFirstTileMakesAChunkATopicOfItsViewers: a player looking at an empty
// chunk gets it as a topic when someone else puts the first tile there.
func TestFirstTileMakesAChunkATopicOfItsViewers(t *testing.T) {
	w := newWorld(t, Config{}, "a", "b")
	w.view("b", C-64, C-64, 128, 128)
	if chunks := chunkTopics(w.topics("b")); len(chunks) != 0 {
		t.Fatalf("b's chunks on an empty board = %q", chunks)
	}
	w.view("a", C-64, C-64, 128, 128)
	w.rack("a", "catxyzq")
	w.mustPlay("a", C-1, C, true, "cat")
	if chunks := chunkTopics(w.topics("b")); !slices.Contains(chunks, ChunkTopic(C/ChunkSize, C/ChunkSize)) {
		t.Errorf("b's chunks after a's first word = %q, want the centre's", chunks)
	}
}

func TestTopicVersions(t *testing.T) {
	w := newWorld(t, Config{}, "a", "b")
	if err := w.h.Tick(); err != nil { // the joins are published
		t.Fatal(err)
	}
	centre := ChunkTopic(C/ChunkSize, C/ChunkSize)
	other := ChunkTopic(C/ChunkSize+1, C/ChunkSize)
	v0, o0, me0, mb0, ov0 := w.version(centre), w.version(other), w.version("me:a"), w.version("me:b"), w.version(TopicOverview)
	if len(w.fill(centre).Chunks) != 0 {
		t.Fatal("an empty chunk's topic has a chunk")
	}
	w.mustPlay("a", C-1, C, true, "cat")
	if w.version(centre) == v0 || w.version(other) != o0 {
		t.Fatal("a play moved the wrong chunk topics")
	}
	if w.version("me:a") == me0 || w.version("me:b") != mb0 {
		t.Fatal("a play moved the wrong players' topics")
	}
	if w.version(TopicOverview) != ov0 {
		t.Fatal("the overview moved within a second")
	}
	// The centre is a corner of four chunks and regions: "c" went to the
	// chunk left of it. The chunk's topic holds that chunk only.
	st := w.fill(centre)
	key, idx := chunkKey(C, C)
	c := st.Chunks[key]
	if len(st.Chunks) != 1 || c == nil || c.Letters[idx] != 'a' || c.Placed[uint32(idx)].GetPlayer() != w.player("a").Number {
		t.Fatalf("chunk topic %v", st)
	}
	if st.Players != nil || st.Overview != nil || st.Rules != nil {
		t.Fatal("a chunk topic carries more than its chunk")
	}
	// Chunks are copied on change: the filled one stays as it was.
	w.mustPlay("a", C-1, C, true, "...s")
	if _, idx := chunkKey(C+2, C); c.Letters[idx] != 0 {
		t.Fatal("a play changed a chunk already handed to a topic")
	}
	// The own topic holds the player only.
	me := w.fill("me:a")
	if len(me.Players) != 1 || me.Players["a"].GetRack() != w.player("a").Rack || me.Chunks != nil {
		t.Fatalf("me topic %v", me)
	}
	if me.Players["a"] == w.player("a") {
		t.Fatal("the me topic shares the player's message")
	}
	// The overview moves once a second, with the region's tiles.
	if err := w.h.Run(10); err != nil {
		t.Fatal(err)
	}
	if w.version(TopicOverview) == ov0 {
		t.Fatal("the overview did not move")
	}
	ov := w.fill(TopicOverview)
	if ov.Rules.GetWorldSize() != WorldSize || ov.Overview.Tiles[regionOf(C, C)] != 3 || ov.Overview.Tiles[regionOf(C-1, C)] != 1 || ov.Overview.TotalTiles != 4 || ov.Overview.Online != 2 {
		t.Fatalf("overview %v", ov.Overview)
	}
	if ov.Overview.Viewers[regionOf(C, C)] != 2 {
		t.Fatalf("viewers %v, want both players at the centre", ov.Overview.Viewers)
	}
	lb := w.fill(TopicLeaderboard).Leaderboard
	if len(lb) != 2 || lb[0].PlayerId != "a" || lb[0].Score != w.player("a").Score || lb[1].PlayerId != "b" {
		t.Fatalf("leaderboard %v", lb)
	}
	// Panning moves the viewers; leaving removes them.
	w.view("b", 0, 0, 64, 64)
	if err := w.h.Leave("a"); err != nil {
		t.Fatal(err)
	}
	if err := w.h.Run(10); err != nil {
		t.Fatal(err)
	}
	ov = w.fill(TopicOverview)
	if ov.Overview.Viewers[regionOf(C, C)] != 0 || ov.Overview.Viewers[0] != 1 || ov.Overview.Online != 1 {
		t.Fatalf("viewers %v after b panned to 0,0 and a left", ov.Overview.Viewers)
	}
}

func TestLeaderboardTop(t *testing.T) {
	w := newWorld(t, Config{})
	for i := range 25 {
		p := string(rune('a'+i%26)) + "x"
		w.join(p)
		w.player(p).Score = uint32(i * 10 % 70)
		w.g.players[p].st.Words = uint32(i)
	}
	w.g.seal(w.h.State()) // publishes the players (no data directory)
	w.g.publishLeaderboard(w.h.State())
	lb := w.h.State().Leaderboard
	if len(lb) != LeaderboardSize {
		t.Fatalf("%d on the leaderboard", len(lb))
	}
	for i := 1; i < len(lb); i++ {
		a, b := lb[i-1], lb[i]
		if a.Score < b.Score || (a.Score == b.Score && a.Words < b.Words) {
			t.Fatalf("leaderboard out of order at %d: %v", i, lb)
		}
	}
	if lb[0].Score != 60 || lb[0].Words != 20 {
		t.Fatalf("leader %v, want score 60 with most words (20)", lb[0])
	}
	v := w.g.leaderVer
	w.g.publishLeaderboard(w.h.State())
	if w.g.leaderVer != v {
		t.Fatal("an unchanged leaderboard got a new version")
	}
}
