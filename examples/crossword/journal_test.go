package crossword

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	crosswordv1 "github.com/tickwire/tickwire/proto/tickwire/crossword/v1"
	"github.com/tickwire/tickwire/server/servertest"
)

// synced waits until the journal has synced every record handed to it,
// and the tick after has published them.
func (w *world) synced() {
	w.t.Helper()
	servertest.CheckFor(w.t, 5*time.Second, time.Millisecond, func() error {
		if got := w.g.journal.synced.Load(); got < w.g.lastSeq {
			return errors.New("journal not synced")
		}
		return nil
	})
	if err := w.h.Tick(); err != nil {
		w.t.Fatal(err)
	}
}

// crashCopy copies the world's files as they are on disk into a new
// directory, as a SIGKILL would leave them (the page cache survives a
// process's death), while w goes on.
func crashCopy(t *testing.T, dir string) string {
	t.Helper()
	out := t.TempDir()
	for _, name := range []string{SnapshotFile, JournalFile} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// journaled plays a few words and a swap in a world on a data directory,
// and returns it with every record synced and no snapshot taken.
func journaled(t testing.TB) *world {
	t.Helper()
	w := newWorld(t, Config{DataDir: t.TempDir(), SnapshotEvery: time.Hour}, "a", "b")
	t.Cleanup(w.close)
	w.mustPlay("a", C-1, C, true, "cat")
	w.mustPlay("b", C, C, false, ".t")
	w.rack("a", "xyzxyzq")
	w.input("a", &crosswordv1.Input{Action: &crosswordv1.Input_Swap{Swap: &crosswordv1.Swap{Letters: "xyz"}}})
	w.mustPlay("a", C-1, C, true, "...s")
	w.synced()
	return w
}

// sameWorld fails unless a and b hold the same board, players (online
// aside) and counters.
func sameWorld(t *testing.T, a, b *crosswordv1.State) {
	t.Helper()
	pick := func(s *crosswordv1.State) *crosswordv1.State {
		c := &crosswordv1.State{Chunks: s.Chunks, Players: map[string]*crosswordv1.Player{}, NextNumber: s.NextNumber, Plays: s.Plays}
		for id, p := range s.Players {
			p = proto.CloneOf(p)
			p.Online = false
			c.Players[id] = p
		}
		return c
	}
	if x, y := pick(a), pick(b); !proto.Equal(x, y) {
		t.Fatalf("the worlds differ:\n%v\n%v", x, y)
	}
}

func TestJournalReplaysAfterCrash(t *testing.T) {
	w := journaled(t)
	dir := crashCopy(t, w.g.cfg.DataDir)
	if _, err := os.Stat(filepath.Join(dir, SnapshotFile)); err == nil {
		t.Fatal("a snapshot was written: this test wants the journal alone")
	}
	w2, err := openWorld(dir)
	if err != nil {
		t.Fatal(err)
	}
	w2.t = t
	defer w2.close()
	sameWorld(t, w.h.State(), w2.h.State())
	if w2.g.lastSeq != w.g.lastSeq || w2.g.totalTiles != 5 || w2.h.State().Overview.Tiles[regionOf(C, C)] != 4 {
		t.Fatalf("after replay: seq %d (want %d), tiles %d, overview %v", w2.g.lastSeq, w.g.lastSeq, w2.g.totalTiles, w2.h.State().Overview.Tiles)
	}
	// The world goes on from there: b plays from its own tile, and that
	// survives a second crash too.
	w2.join("b")
	if err := w2.h.Run(5); err != nil { // past b's cooldown, in the old room's time
		t.Fatal(err)
	}
	w2.mustPlay("b", C, C, false, "..e")
	w2.synced()
	dir3 := crashCopy(t, dir)
	w3, err := openWorld(dir3)
	if err != nil {
		t.Fatal(err)
	}
	defer w3.close()
	sameWorld(t, w2.h.State(), w3.h.State())
}

func TestJournalAfterSnapshot(t *testing.T) {
	dir := t.TempDir()
	w := newWorld(t, Config{DataDir: dir, SnapshotEvery: time.Second}, "a", "b")
	defer w.close()
	w.mustPlay("a", C-1, C, true, "cat")
	if err := w.h.Run(10); err != nil { // a snapshot is due
		t.Fatal(err)
	}
	// Once the snapshot is on disk the journal is compacted to what it
	// lacks: nothing.
	servertest.CheckFor(t, 5*time.Second, time.Millisecond, func() error {
		data, err := os.ReadFile(filepath.Join(dir, JournalFile))
		if err != nil {
			return err
		}
		if len(data) != journalHeaderSize {
			return errors.New("the journal still holds records the snapshot has")
		}
		return nil
	})
	w.mustPlay("b", C, C, false, ".t")
	w.synced()
	crashed := crashCopy(t, dir)
	data, _ := os.ReadFile(filepath.Join(crashed, SnapshotFile))
	if _, seq, err := decodeSnapshot(data); err != nil || seq == 0 || seq >= w.g.lastSeq {
		t.Fatalf("snapshot seq %d (journal at %d): %v", seq, w.g.lastSeq, err)
	}
	w2, err := openWorld(crashed)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.close()
	sameWorld(t, w.h.State(), w2.h.State())
}

func TestJournalTornRecord(t *testing.T) {
	w := journaled(t)
	dir := crashCopy(t, w.g.cfg.DataDir)
	path := filepath.Join(dir, JournalFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	entries, valid, err := parseJournal(data)
	if err != nil || valid != len(data) || len(entries) < 3 {
		t.Fatalf("%d records, %d of %d bytes valid: %v", len(entries), valid, len(data), err)
	}
	last := entries[len(entries)-1]
	// Each way a crash can leave the last record: cut short anywhere, or
	// all there but with bytes that never reached the disk.
	mid := (last.start + last.end) / 2
	garbled := bytes.Clone(data)
	garbled[mid] ^= 0xff
	zeroed := bytes.Clone(data)
	clear(zeroed[last.start+recordHeaderSize:])
	for name, torn := range map[string][]byte{
		"cut in its header":  data[:last.start+3],
		"cut in its payload": data[:mid],
		"garbled":            garbled,
		"zeroed":             zeroed,
		"zeros after it":     append(bytes.Clone(data), make([]byte, 4096)...),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, JournalFile)
			if err := os.WriteFile(path, torn, 0o644); err != nil {
				t.Fatal(err)
			}
			w2, err := openWorld(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer w2.close()
			want := last.seq - 1
			if name == "zeros after it" {
				want = last.seq
			}
			if got := w2.g.lastSeq; got != want {
				t.Fatalf("replayed up to %d, want %d", got, want)
			}
			// The torn bytes are gone from the file.
			after, _ := os.ReadFile(path)
			if e, valid, err := parseJournal(after); err != nil || valid != len(after) || e[len(e)-1].seq != want {
				t.Fatalf("after the restart: %d of %d bytes valid: %v", valid, len(after), err)
			}
		})
	}
}

func TestJournalCorrupt(t *testing.T) {
	w := journaled(t)
	dir := crashCopy(t, w.g.cfg.DataDir)
	path := filepath.Join(dir, JournalFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	entries, _, _ := parseJournal(good)
	first, second := entries[0], entries[1]
	flipped := bytes.Clone(good)
	flipped[(first.start+first.end)/2] ^= 0x01
	badLen := bytes.Clone(good)
	badLen[first.start] = 0x7f
	// A record out of sequence: the second one twice.
	dup := append(bytes.Clone(good[:second.end]), good[second.start:]...)
	version := bytes.Clone(good)
	version[11] = 9
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"flipped in the middle", flipped, "checksum mismatch"},
		{"impossible length", badLen, "is impossible"},
		{"out of sequence", dup, "sequence"},
		{"not a journal", []byte("this is not a crossword journal at all"), "not a crossword journal"},
		{"short header", good[:5], "truncated"},
		{"version", version, "format version 9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			w2, err := openWorld(dir)
			if err == nil {
				w2.close()
				t.Fatal("a corrupt journal was replayed")
			}
			if !errors.Is(err, ErrCorruptJournal) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want ErrCorruptJournal naming %s and saying %q", err, path, tc.want)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, tc.data) {
				t.Fatal("the corrupt journal was changed")
			}
		})
	}
	// Records missing between the snapshot and the journal: a snapshot
	// at sequence 0 (none) and a journal from its second record.
	gap := append(bytes.Clone(good[:journalHeaderSize]), good[second.start:]...)
	if err := os.WriteFile(path, gap, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := openWorld(dir); !errors.Is(err, ErrCorruptJournal) || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("a journal with records missing: %v", err)
	}
	// Well-formed records whose content does not hold together: a tile on
	// a cell an earlier record filled.
	r := &record{seq: entries[len(entries)-1].seq + 1, players: map[string]*crosswordv1.Player{}, nextNumber: 3, plays: 10}
	key, idx := chunkKey(C, C)
	r.tiles = []placedTile{{key: key, idx: uint16(idx), letter: 'q', placed: &crosswordv1.Placed{Player: 1}}}
	extra, err := appendRecord(bytes.Clone(good), r)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, extra, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := openWorld(dir); !errors.Is(err, ErrCorruptJournal) || !strings.Contains(err.Error(), "filled cell") {
		t.Fatalf("a tile on a filled cell: %v", err)
	}
	// The good one loads again: the failed attempts let go of the lock.
	if err := os.WriteFile(path, good, 0o644); err != nil {
		t.Fatal(err)
	}
	w2, err := openWorld(dir)
	if err != nil {
		t.Fatal(err)
	}
	w2.close()
}

// TestPublishedOnlyOnceSynced holds the journal's records back from its
// writer: a play changes the room's state at once, but no topic shows it
// (not the player's own, not the chunk's) until its record is synced.
// With the writer's channel full, plays are refused and no snapshot is
// taken.
func TestPublishedOnlyOnceSynced(t *testing.T) {
	w := newWorld(t, Config{DataDir: t.TempDir(), SnapshotEvery: time.Second}, "a")
	w.synced()
	words := func() uint32 { return w.fill(TopicMe + "a").Players["a"].GetWords() }
	centre := ChunkTopic(C/ChunkSize, C/ChunkSize)
	held := make(chan *record, journalQueue) // nobody reads it
	w.g.handoff = held
	w.mustPlay("a", C-1, C, true, "cat")
	if err := w.h.Run(3); err != nil {
		t.Fatal(err)
	}
	if w.player("a").Words != 1 || words() != 0 || len(w.fill(centre).Chunks) != 0 || w.fill(TopicOverview).Overview.TotalTiles != 0 {
		t.Fatalf("an unsynced play is shown: words %d in the state, %d in me:a", w.player("a").Words, words())
	}
	// The writer says it synced up to the play's record: it is shown.
	w.g.journal.synced.Store(w.g.lastSeq)
	if err := w.h.Tick(); err != nil {
		t.Fatal(err)
	}
	if words() != 1 || len(w.fill(centre).Chunks) != 1 {
		t.Fatalf("a synced play is not shown: words %d", words())
	}
	// A full channel: the next records are held, plays refused.
	for i := 0; len(held) < journalQueue; i++ {
		w.view("a", C-31+i%2, C-32, 64, 64)
	}
	w.view("a", C-40, C-32, 64, 64)
	if w.g.held == nil {
		t.Fatal("a record was not held back with the channel full")
	}
	if msg := w.play("a", C+2, C-1, false, "s"); !strings.Contains(msg, "saving") {
		t.Fatalf("a play with the journal backlogged: %q, want refused", msg)
	}
	// Snapshots handed to the writer, not written: a write handed before
	// the hold may finish meanwhile (CI, on a loaded machine).
	snaps := w.g.saver.handed
	if err := w.h.Run(20); err != nil {
		t.Fatal(err)
	}
	if w.g.saver.handed != snaps {
		t.Fatal("a snapshot was taken while a record was held back")
	}
	// The writer takes the records again: what was held goes too.
	last := w.g.held
	for len(held) > 0 {
		w.g.journal.ch <- <-held
	}
	w.g.handoff = w.g.journal.ch
	servertest.CheckFor(t, 5*time.Second, time.Millisecond, func() error {
		if err := w.h.Tick(); err != nil {
			t.Fatal(err)
		}
		if w.g.held != nil {
			return errors.New("the record is still held")
		}
		return nil
	})
	if w.g.lastSeq != last.seq {
		t.Fatal("the held record was not handed over")
	}
	w.synced()
	w.close()
	w2, err := openWorld(w.g.cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.close()
	sameWorld(t, w.h.State(), w2.h.State())
}

// FuzzParseJournal: any bytes parse or fail cleanly; what parses is a
// prefix of whole records in sequence, which parses again the same.
func FuzzParseJournal(f *testing.F) {
	w := journaled(f)
	good, err := os.ReadFile(filepath.Join(w.g.cfg.DataDir, JournalFile))
	if err != nil {
		f.Fatal(err)
	}
	entries, _, _ := parseJournal(good)
	f.Add(good)
	f.Add(good[:len(good)-7])
	f.Add(good[:entries[1].start])
	f.Add(append(bytes.Clone(good), make([]byte, 64)...))
	f.Add([]byte(journalMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, valid, err := parseJournal(data)
		if err != nil {
			return
		}
		if valid > len(data) || (len(entries) > 0 && entries[len(entries)-1].end != valid) {
			t.Fatalf("%d records, valid %d of %d bytes", len(entries), valid, len(data))
		}
		for i := 1; i < len(entries); i++ {
			if entries[i].seq != entries[i-1].seq+1 {
				t.Fatalf("sequence %d after %d", entries[i].seq, entries[i-1].seq)
			}
		}
		again, valid2, err := parseJournal(data[:valid])
		if err != nil || valid2 != valid || len(again) != len(entries) {
			t.Fatalf("the valid prefix parses as %d records, %d bytes: %v", len(again), valid2, err)
		}
		for i := range again {
			if !proto.Equal(again[i].change, entries[i].change) {
				t.Fatalf("record %d differs", i)
			}
		}
	})
}

// BenchmarkJournal measures the journal writer's part of a play: encoding
// its record, appending it and the fsync, with plays batched per fsync as
// a tick batches them (one record per tick, one fsync per batch). An op is
// one play of four tiles by its own player.
func BenchmarkJournal(b *testing.B) {
	for _, perSync := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("plays-per-fsync=%d", perSync), func(b *testing.B) {
			b.ReportAllocs()
			m, _ := newMetrics(nil)
			jr, _, err := openJournal(b.TempDir(), 0, m, zerolog.Nop())
			if err != nil {
				b.Fatal(err)
			}
			if err := jr.replace(); err != nil {
				b.Fatal(err)
			}
			defer jr.close()
			key, _ := chunkKey(C, C)
			chunk := cloneChunk(nil)
			var seq uint64
			var r *record
			syncs, plays := 0, 0
			start := time.Now()
			for b.Loop() {
				if r == nil {
					seq++
					r = &record{seq: seq, players: map[string]*crosswordv1.Player{}, chunks: map[uint32]*crosswordv1.Chunk{key: chunk}, nextNumber: 1000, plays: uint64(plays)}
				}
				plays++
				id := fmt.Sprintf("p%04d", plays%1000)
				r.players[id] = &crosswordv1.Player{Number: uint32(plays%1000 + 1), Rack: "etaoins", Score: 120, Lives: 3, Words: 9, Tiles: 30,
					View:     &crosswordv1.View{X: C - 32, Y: C - 32, W: 64, H: 64},
					LastPlay: &crosswordv1.PlayResult{Words: []string{"word", "or"}, Points: 12, Tick: uint64(plays)}}
				for i := range 4 {
					r.tiles = append(r.tiles, placedTile{key: key, idx: uint16((plays*4 + i) % 256), letter: 'e', placed: &crosswordv1.Placed{Player: 1, UnixMs: 946684800000}})
				}
				if len(r.players) < perSync {
					continue
				}
				if err := jr.write([]*record{r}); err != nil {
					b.Fatal(err)
				}
				syncs++
				r = nil
				// What a compaction after a snapshot would drop.
				jr.tail, jr.tailSeqs, jr.tailEnds = jr.tail[:0], jr.tailSeqs[:0], jr.tailEnds[:0]
			}
			if syncs > 0 {
				b.ReportMetric(float64(syncs)/time.Since(start).Seconds(), "fsyncs/s")
				b.ReportMetric(float64(plays)/float64(syncs), "plays/fsync")
			}
		})
	}
}

// TestJournalWriteFails: while the journal cannot be written nothing is
// acknowledged and the game goes on; once it can, the writer rewrites the
// whole file, the plays are shown, and they survive a crash.
func TestJournalWriteFails(t *testing.T) {
	w := newWorld(t, Config{DataDir: t.TempDir(), SnapshotEvery: time.Hour}, "a")
	defer w.close()
	w.synced()
	w.g.journal.failWrites.Store(true)
	w.mustPlay("a", C-1, C, true, "cat")
	servertest.CheckFor(t, 5*time.Second, time.Millisecond, func() error {
		if counterValue(t, w.g.m.journalSyncs.WithLabelValues("error")) == 0 {
			return errors.New("no failed write yet")
		}
		return nil
	})
	if err := w.h.Run(3); err != nil {
		t.Fatal(err)
	}
	if got := w.fill(TopicMe + "a").Players["a"].GetWords(); got != 0 || w.g.journal.synced.Load() >= w.g.lastSeq {
		t.Fatalf("a play whose record could not be written is shown: words %d", got)
	}
	w.g.journal.failWrites.Store(false) // the writer tries again within journalRetry
	w.synced()
	if got := w.fill(TopicMe + "a").Players["a"].GetWords(); got != 1 {
		t.Fatalf("after the journal recovered: words %d, want 1", got)
	}
	w2, err := openWorld(crashCopy(t, w.g.cfg.DataDir))
	if err != nil {
		t.Fatal(err)
	}
	defer w2.close()
	sameWorld(t, w.h.State(), w2.h.State())
}
