package crossword

import (
	"testing"

	"google.golang.org/protobuf/proto"

	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
)

// FuzzDecodeSnapshot: any bytes decode or fail cleanly, and what decodes
// encodes back to the same bytes.
func FuzzDecodeSnapshot(f *testing.F) {
	s := &crosswordv1.State{NextNumber: 2, Players: map[string]*crosswordv1.Player{"a": {Number: 1, Rack: "abcdefg"}}}
	good, err := EncodeSnapshot(s)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:headerSize])
	f.Add([]byte(snapshotMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeSnapshot(data)
		if err != nil {
			return
		}
		again, err := DecodeSnapshot(mustEncode(t, s))
		if err != nil || !proto.Equal(s, again) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func mustEncode(t *testing.T, s *crosswordv1.State) []byte {
	data, err := EncodeSnapshot(s)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// FuzzPlay: any play is accepted or refused without a panic, and a refused
// one changes nothing.
func FuzzPlay(f *testing.F) {
	f.Add(int32(C), int32(C), "abc", true, int32(C-1), int32(C), "s")
	f.Add(int32(-5), int32(C), "zz", false, int32(C), int32(C+1), "t")
	f.Add(int32(C+2), int32(C), "", true, int32(C+2), int32(C), "s")
	f.Fuzz(func(t *testing.T, x, y int32, word string, across bool, x2, y2 int32, l2 string) {
		w := newWorld(t, Config{}, "a", "b")
		w.mustPlay("a", C-1, C, true, "cat")
		w.rack("b", "abcstxe")
		in := &crosswordv1.Play{Tiles: tiles(int(x), int(y), across, word)}
		in.Tiles = append(in.Tiles, &crosswordv1.Tile{X: x2, Y: y2, Letter: l2})
		before := proto.CloneOf(w.h.State())
		refusals := w.player("b").Refusals
		w.input("b", &crosswordv1.Input{Action: &crosswordv1.Input_Play{Play: in}})
		if w.player("b").Refusals != refusals {
			w.sameExceptRefusal(before, "b")
		}
	})
}
