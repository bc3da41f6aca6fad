package tick_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/tick"
)

// walkers is a game that draws from everything a recording must carry:
// Room.Rand (spawn points, drift), Room.Now (the height is the tick's
// time), refusals (|dx| > 10), and kicks (a player past x = 500).
type walkers struct{ tick.Base[*arenav1.State] }

func (walkers) Init(r *tick.Room[*arenav1.State]) error {
	r.State().Players = map[string]*arenav1.Player{}
	return nil
}

func (walkers) Join(r *tick.Room[*arenav1.State], p tick.PlayerID) error {
	if p == "refused" {
		return errors.New("no room for refused")
	}
	r.State().Players[string(p)] = &arenav1.Player{X: float32(r.Rand().IntN(100)), Hp: 100}
	return nil
}

func (walkers) Leave(r *tick.Room[*arenav1.State], p tick.PlayerID) {
	delete(r.State().Players, string(p))
}

func (walkers) Input(r *tick.Room[*arenav1.State], p tick.PlayerID, in *arenav1.Input) {
	if in.Dx > 10 || in.Dx < -10 {
		r.Refuse(p, protocol.CodeInputRefused, "too fast")
		return
	}
	pl := r.State().Players[string(p)]
	pl.X += in.Dx
	pl.Y += in.Dy
	if pl.X > 500 {
		r.Kick(p, "out of bounds")
	}
}

func (walkers) Tick(r *tick.Room[*arenav1.State], _ time.Duration) {
	r.State().Height = float32(r.Now().UnixMilli() % 100_000)
	for p := range r.Players() {
		r.State().Players[string(p)].Vx = float32(r.Rand().Float64())
	}
}

func walkersRegistry(info tick.GameInfo) *tick.Registry {
	reg := tick.NewRegistry()
	info.Name = "walkers"
	tick.RegisterIn(reg, info, func() tick.Game[*arenav1.State, *arenav1.Input] { return walkers{} })
	return reg
}

func inputBytes(t testing.TB, dx, dy float32) []byte {
	b, err := proto.Marshal(&arenav1.Input{Dx: dx, Dy: dy})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRecordRealRoomReplays records a room run by its own goroutine on a
// staggered start (its offset drawn from Rand), with every kind of event:
// joins (one refused), inputs (some refused), a kick, a leave, a dropped
// player whose grace runs out; then replays the file and gets every hash.
func TestRecordRealRoomReplays(t *testing.T) {
	dir := t.TempDir()
	info := tick.GameInfo{TickHz: 20, ReconnectGrace: 200 * time.Millisecond, Version: "1.0",
		Record: tick.RecordOptions{Dir: dir, StateEvery: 5}}
	synctest.Test(t, func(t *testing.T) {
		rooms, err := tick.NewRooms(tick.Options{Registry: walkersRegistry(info), Clock: tick.SystemClock{}})
		if err != nil {
			t.Fatal(err)
		}
		h, err := rooms.Create(context.Background(), "walkers", tick.RoomOptions{Seed: 42})
		if err != nil {
			t.Fatal(err)
		}
		peers := map[tick.PlayerID]*fakePeer{}
		for _, p := range []tick.PlayerID{"a", "b", "c", "d", "refused"} {
			peers[p] = newFakePeer(t)
			err := h.Join(context.Background(), p, peers[p])
			if (err != nil) != (p == "refused") {
				t.Fatalf("join %s: %v", p, err)
			}
		}
		seq := map[tick.PlayerID]uint64{}
		send := func(p tick.PlayerID, dx float32) {
			seq[p]++
			if err := h.Input(p, seq[p], inputBytes(t, dx, 1)); err != nil && !errors.Is(err, tick.ErrNotInRoom) {
				t.Fatalf("input %s: %v", p, err)
			}
		}
		for i := range 60 {
			send("a", float32(i%7)-3)
			send("b", 30) // refused
			send("c", 10) // kicked once past x = 500
			send("d", 5)
			if i == 20 {
				h.Leave("a")
			}
			if i == 30 {
				h.Disconnect("d", peers["d"])
			}
			time.Sleep(50 * time.Millisecond)
			synctest.Wait()
		}
		if err := rooms.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	files, _ := filepath.Glob(filepath.Join(dir, "walkers-*"+tick.LogExt))
	if len(files) != 1 {
		t.Fatalf("logs in %s: %q, want one", dir, files)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := tick.Replay(walkersRegistry(info), f, tick.ReplayOptions{Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Divergence != nil {
		t.Fatalf("replay diverged: %v", res.Divergence)
	}
	if !res.Header.Stagger || res.Header.Seed != 42 || res.Header.GameVersion != "1.0" {
		t.Errorf("header %+v: want a staggered start, seed 42, version 1.0", res.Header)
	}
	if res.Ticks < 55 || res.Hashes != int(res.Ticks) || res.States == 0 || res.Joins != 5 || res.Leaves != 1 || res.Inputs < 100 {
		t.Errorf("replayed %d ticks, %d hashes, %d states, %d joins, %d leaves, %d inputs", res.Ticks, res.Hashes, res.States, res.Joins, res.Leaves, res.Inputs)
	}
	if res.End != "server shutting down" {
		t.Errorf("end %q, want the shutdown", res.End)
	}
}

// recordWalkers runs a harness match of walkers and returns its log.
func recordWalkers(t *testing.T, opts tick.RecordOptions) []byte {
	t.Helper()
	var log bytes.Buffer
	opts.Writer = &log
	h, err := tick.NewHarness(tick.GameInfo{Name: "walkers", TickHz: 20, Record: opts}, tick.Game[*arenav1.State, *arenav1.Input](walkers{}), 7)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []tick.PlayerID{"a", "b"} {
		if err := h.Join(p); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 40 {
		_ = h.Input("a", &arenav1.Input{Dx: 1})
		_ = h.Input("b", &arenav1.Input{Dx: float32(i % 3), Dy: 2})
		if err := h.Tick(); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	return log.Bytes()
}

func TestHarnessRecordingReplays(t *testing.T) {
	log := recordWalkers(t, tick.RecordOptions{})
	res, err := tick.Replay(walkersRegistry(tick.GameInfo{TickHz: 20}), bytes.NewReader(log), tick.ReplayOptions{})
	if err != nil || res.Divergence != nil {
		t.Fatalf("replay: %v, divergence %v", err, res.Divergence)
	}
	if res.Ticks != 40 || res.Inputs != 80 || res.End != "room closed" {
		t.Fatalf("replayed %d ticks, %d inputs, end %q", res.Ticks, res.Inputs, res.End)
	}
}

// TestReplayFindsTamperedInput changes one input in a log: the replay must
// name its tick and the field it moved.
func TestReplayFindsTamperedInput(t *testing.T) {
	log := recordWalkers(t, tick.RecordOptions{StateEvery: 10})
	// The input records are in the tick records; b's 25th input (dx 0 at
	// i = 24, tick 25) becomes dx 2.5: find its payload by content.
	want := inputBytes(t, 0, 2)
	tampered := inputBytes(t, 2.5, 2)
	prefixed := append([]byte{byte(len(want))}, want...) // {dx 1, dy 2} holds want, but not after its length
	var at int
	for n, i := 0, 0; ; i++ {
		j := bytes.Index(log[i:], prefixed)
		if j < 0 {
			t.Fatal("b's input not found")
		}
		i += j
		if n++; n == 9 { // i%3 == 0 at i = 0, 3, ..., 24: the ninth
			at = i + 1
			break
		}
	}
	if len(want) == len(tampered) {
		t.Fatal("the test needs a longer payload to shift the record")
	}
	// dx 0 is not encoded: the payload grows by 5 bytes, so the length
	// prefixes of the payload and of its record grow too.
	out := rewriteInput(t, log, at, want, tampered)
	res, err := tick.Replay(walkersRegistry(tick.GameInfo{TickHz: 20}), bytes.NewReader(out), tick.ReplayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Divergence
	if d == nil {
		t.Fatal("no divergence found")
	}
	if d.Tick != 25 || d.What != "state hash" || d.StateTick != 30 || d.Path != `players["b"].x` {
		t.Fatalf("divergence %v: want tick 25, state hash, then players[\"b\"].x at tick 30", d)
	}
	t.Log(d.Error())
	if !strings.Contains(d.Error(), `players["b"].x`) {
		t.Errorf("Error() = %q", d.Error())
	}
}

// rewriteInput replaces the payload old at offset at with new, fixing the
// payload's length prefix and its record's.
func rewriteInput(t *testing.T, log []byte, at int, old, new []byte) []byte {
	t.Helper()
	if log[at-1] != byte(len(old)) {
		t.Fatalf("no length prefix before the payload at %d", at)
	}
	// Walk the records to find the one holding at.
	pos := len("TWREC\x01")
	for pos < len(log) {
		n, k := binary.Uvarint(log[pos:])
		body := pos + k
		if at >= body && at < body+int(n) {
			var out []byte
			out = append(out, log[:pos]...)
			out = binary.AppendUvarint(out, n+uint64(len(new)-len(old)))
			out = append(out, log[body:at-1]...)
			out = append(out, byte(len(new)))
			out = append(out, new...)
			out = append(out, log[at+len(old):]...)
			return out
		}
		pos = body + int(n)
	}
	t.Fatal("offset outside every record")
	return nil
}

func TestRecordMaxBytesEndsTheLog(t *testing.T) {
	log := recordWalkers(t, tick.RecordOptions{MaxBytes: 600})
	if len(log) > 600 {
		t.Fatalf("log of %d bytes, want at most 600", len(log))
	}
	res, err := tick.Replay(walkersRegistry(tick.GameInfo{TickHz: 20}), bytes.NewReader(log), tick.ReplayOptions{})
	if err != nil || res.Divergence != nil {
		t.Fatalf("replay: %v, divergence %v", err, res.Divergence)
	}
	if res.End != "log reached Record.MaxBytes" || res.Ticks == 0 || res.Ticks >= 40 {
		t.Fatalf("end %q after %d ticks: want the size limit, after some ticks", res.End, res.Ticks)
	}
}

func TestReplayRefusesAnotherVersion(t *testing.T) {
	log := recordWalkers(t, tick.RecordOptions{})
	_, err := tick.Replay(walkersRegistry(tick.GameInfo{TickHz: 20, Version: "2"}), bytes.NewReader(log), tick.ReplayOptions{})
	if !errors.Is(err, tick.ErrLogVersion) {
		t.Fatalf("err %v, want ErrLogVersion", err)
	}
	if _, err := tick.Replay(tick.NewRegistry(), bytes.NewReader(log), tick.ReplayOptions{}); !errors.Is(err, tick.ErrGameNotFound) {
		t.Fatalf("err %v, want ErrGameNotFound", err)
	}
	if _, err := tick.Replay(tick.NewRegistry(), strings.NewReader("not a log"), tick.ReplayOptions{}); err == nil {
		t.Fatal("no error for a file that is not a log")
	}
}

func TestRecentFrames(t *testing.T) {
	info := tick.GameInfo{Name: "walkers", TickHz: 20, Record: tick.RecordOptions{Ring: 2 * time.Second}}
	h, err := tick.NewHarness(info, tick.Game[*arenav1.State, *arenav1.Input](walkers{}), 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Join("a"); err != nil {
		t.Fatal(err)
	}
	for range 100 { // 5 s
		_ = h.Input("a", &arenav1.Input{Dx: 1})
		if err := h.Tick(); err != nil {
			t.Fatal(err)
		}
	}
	body := h.RecentFrames(time.Second)
	replica := protocol.NewReplica[*arenav1.State]("harness")
	var ticks []uint64
	for len(body) > 0 {
		n := binary.BigEndian.Uint32(body)
		f, err := protocol.DecodeStateFrame(body[4:4+n], 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := replica.Apply(f); err != nil {
			t.Fatalf("frame %d: %v", len(ticks), err)
		}
		ticks = append(ticks, f.Tick)
		body = body[4+n:]
	}
	if len(ticks) < 20 || ticks[0] > 80 || ticks[len(ticks)-1] != 100 {
		t.Fatalf("frames of ticks %v: want at least the last second, ending at 100", ticks)
	}
	if !proto.Equal(replica.State, h.State()) {
		t.Fatalf("replayed frames end at %v, the room is at %v", replica.State, h.State())
	}
}

// panicky is walkers that panics on an input of dx 7, a bug to report.
type panicky struct{ walkers }

func (g panicky) Input(r *tick.Room[*arenav1.State], p tick.PlayerID, in *arenav1.Input) {
	if in.Dx == 7 {
		panic("dx 7")
	}
	g.walkers.Input(r, p, in)
}

// TestReplayReproducesAPanic records a room whose game panics: the log
// ends with the failure, and the replay fails the same way on the same
// tick, which is what a bug report needs.
func TestReplayReproducesAPanic(t *testing.T) {
	var log bytes.Buffer
	info := tick.GameInfo{Name: "walkers", TickHz: 20, Record: tick.RecordOptions{Writer: &log}}
	h, err := tick.NewHarness(info, tick.Game[*arenav1.State, *arenav1.Input](panicky{}), 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Join("a"); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		_ = h.Input("a", &arenav1.Input{Dx: float32(i % 8)})
		if err := h.Tick(); err != nil {
			break // tick 8: dx 7
		}
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	reg := tick.NewRegistry()
	tick.RegisterIn(reg, tick.GameInfo{Name: "walkers", TickHz: 20}, func() tick.Game[*arenav1.State, *arenav1.Input] { return panicky{} })
	res, err := tick.Replay(reg, bytes.NewReader(log.Bytes()), tick.ReplayOptions{Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Divergence != nil || res.Ticks != 8 || !strings.Contains(res.Failure, "panic: dx 7") || res.End != "room ended: game failed in Input" {
		t.Fatalf("replayed %d ticks, failure %q, end %q, divergence %v", res.Ticks, res.Failure, res.End, res.Divergence)
	}
}

// memSink keeps each room's log in memory.
type memSink struct {
	mu   sync.Mutex
	logs map[string]*closingBuffer
}

type closingBuffer struct {
	bytes.Buffer
	closed bool
}

func (b *closingBuffer) Close() error { b.closed = true; return nil }

func (s *memSink) Open(game, room string) (io.WriteCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := &closingBuffer{}
	s.logs[game+"/"+room] = b
	return b, nil
}

func TestRecordToASink(t *testing.T) {
	sink := &memSink{logs: map[string]*closingBuffer{}}
	info := tick.GameInfo{TickHz: 20, Record: tick.RecordOptions{Sink: sink}}
	synctest.Test(t, func(t *testing.T) {
		rooms, err := tick.NewRooms(tick.Options{Registry: walkersRegistry(info), Clock: tick.SystemClock{}})
		if err != nil {
			t.Fatal(err)
		}
		h, err := rooms.Create(context.Background(), "walkers", tick.RoomOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Join(context.Background(), "a", newFakePeer(t)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if err := h.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := rooms.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		log := sink.logs["walkers/"+h.ID()]
		if log == nil || !log.closed {
			t.Fatalf("sink logs %v: want the room's, closed", sink.logs)
		}
		res, err := tick.Replay(walkersRegistry(info), bytes.NewReader(log.Bytes()), tick.ReplayOptions{})
		if err != nil || res.Divergence != nil || res.Ticks < 19 || res.End != "room closed" {
			t.Fatalf("replay of the sink's log: %v, %+v", err, res)
		}
	})
}
