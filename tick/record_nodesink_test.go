package tick_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/tick"
)

// TestRecordNodeSink checks the rule of RecordOptions.NodeSink: the rooms
// go to the Rooms' RecordSink when it has one (even with a Dir), to Dir
// when it has none, and nowhere (with one warning) without either.
func TestRecordNodeSink(t *testing.T) {
	run := func(t *testing.T, info tick.GameInfo, sink tick.RecordSink, log zerolog.Logger) string {
		t.Helper()
		var id string
		synctest.Test(t, func(t *testing.T) {
			rooms, err := tick.NewRooms(tick.Options{Registry: walkersRegistry(info), Clock: tick.SystemClock{}, RecordSink: sink, Logger: log})
			if err != nil {
				t.Fatal(err)
			}
			h, err := rooms.Create(context.Background(), "walkers", tick.RoomOptions{})
			if err != nil {
				t.Fatal(err)
			}
			id = h.ID()
			if err := h.Join(context.Background(), "a", newFakePeer(t)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second)
			if err := rooms.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
		return id
	}
	logs := func(dir string) []string {
		files, _ := filepath.Glob(filepath.Join(dir, "*"+tick.LogExt))
		return files
	}

	t.Run("sink over dir", func(t *testing.T) {
		dir := t.TempDir()
		sink := &memSink{logs: map[string]*closingBuffer{}}
		info := tick.GameInfo{TickHz: 20, Record: tick.RecordOptions{NodeSink: true, Dir: dir}}
		id := run(t, info, sink, zerolog.Nop())
		lg := sink.logs["walkers/"+id]
		if lg == nil || !lg.closed || len(logs(dir)) != 0 {
			t.Fatalf("sink logs %v, files %q: want the room's log in the sink only", sink.logs, logs(dir))
		}
		res, err := tick.Replay(walkersRegistry(info), bytes.NewReader(lg.Bytes()), tick.ReplayOptions{})
		if err != nil || res.Divergence != nil || res.Ticks < 19 {
			t.Fatalf("replay of the node sink's log: %v, %+v", err, res)
		}
	})
	t.Run("dir without a sink", func(t *testing.T) {
		dir := t.TempDir()
		run(t, tick.GameInfo{TickHz: 20, Record: tick.RecordOptions{NodeSink: true, Dir: dir}}, nil, zerolog.Nop())
		if files := logs(dir); len(files) != 1 {
			t.Fatalf("files %q: want the room's log", files)
		}
	})
	t.Run("neither", func(t *testing.T) {
		var out bytes.Buffer
		dir := t.TempDir()
		t.Chdir(dir) // nothing may be written anywhere, here included
		run(t, tick.GameInfo{TickHz: 20, Record: tick.RecordOptions{NodeSink: true}}, nil, zerolog.New(&out))
		if n := strings.Count(out.String(), "its rooms run unrecorded"); n != 1 {
			t.Fatalf("%d warnings, want 1:\n%s", n, out.String())
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Fatalf("files written: %v", entries)
		}
	})
	t.Run("not with a writer", func(t *testing.T) {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(string), "Record.NodeSink with Record.Writer") {
				t.Fatalf("registration with NodeSink and Writer: %v", r)
			}
		}()
		walkersRegistry(tick.GameInfo{Record: tick.RecordOptions{NodeSink: true, Writer: &bytes.Buffer{}}})
	})
}
