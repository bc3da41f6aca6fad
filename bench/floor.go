package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/lesismal/nbio/nbhttp"
	"github.com/lesismal/nbio/nbhttp/websocket"
	"google.golang.org/protobuf/proto"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// rawScenario is a scenario that does not speak Tickwire's protocol: it
// dials its own connections and encodes its own messages. The scheduler,
// the latency accounting and the report are the same.
type rawScenario interface {
	scenario
	// dial connects p (setting p.link) on the run's raw engine.
	dial(ctx context.Context, r *run, p *player) error
	// encodeInput appends p's input seq to dst.
	encodeInput(dst []byte, seq uint64) []byte
	// encodePing appends a ping stamped with the client's clock to dst.
	encodePing(dst []byte, clientTimeUnixNano int64) []byte
}

// floorScenario is the socket floor: the arena's connection count and
// message rates against a bare nbio WebSocket server (floorserve.go) with
// no rooms and no protobuf. Each client sends an input of the arena
// input's size every 1/input-hz s and gets, -hz times a second, a state
// message of the arena frame's size carrying the last input seq the server
// saw from it. Latency is measured exactly as for the arena (from the
// scheduled send to the first state message covering the seq), so it too
// includes the wait for the next tick.
type floorScenario struct {
	groups     int
	hz         int
	frameBytes int
	inputBytes int
}

var _ rawScenario = (*floorScenario)(nil)

func newFloorScenario(c *config) scenario {
	in, frame := c.floorSizes()
	return &floorScenario{groups: c.rooms, hz: c.hz, frameBytes: frame, inputBytes: in}
}

func (f *floorScenario) rooms() int                                { return f.groups }
func (f *floorScenario) sendsInputs() bool                         { return true }
func (f *floorScenario) input(*player, uint64) []byte              { return nil }
func (f *floorScenario) join(context.Context, *run, *player) error { return nil }

func (f *floorScenario) encodeInput(dst []byte, seq uint64) []byte {
	return floorMessage(dst, floorInput, seq, f.inputBytes)
}

func (f *floorScenario) encodePing(dst []byte, t int64) []byte {
	return floorMessage(dst, floorPing, uint64(t), floorHead)
}

// floorMessage appends a floor message of size bytes (at least the head).
func floorMessage(dst []byte, kind byte, v uint64, size int) []byte {
	dst = append(dst, kind)
	dst = binary.LittleEndian.AppendUint64(dst, v)
	for len(dst) < size {
		dst = append(dst, 'x')
	}
	return dst
}

// dial opens p's connection to the bare server, in group p.idx mod groups.
func (f *floorScenario) dial(ctx context.Context, r *run, p *player) error {
	rc := &rawConn{}
	u := websocket.NewUpgrader()
	u.KeepaliveTime = 0
	u.OnMessage(func(_ *websocket.Conn, mt websocket.MessageType, data []byte) {
		if mt == websocket.BinaryMessage {
			p.onFloor(data)
		}
	})
	u.SetCloseHandler(func(ws *websocket.Conn, code int, reason string) {
		rc.closeErr.CompareAndSwap(nil, &linkError{fmt.Errorf("websocket closed: %d %s", code, reason)})
		_ = ws.WriteClose(code, "")
		awaitServerClose(ws)
	})
	u.OnClose(func(*websocket.Conn, error) {
		rc.closeErr.CompareAndSwap(nil, &linkError{errors.New("websocket closed: 1006 connection lost")})
	})
	d := &websocket.Dialer{Engine: r.rawEng, Upgrader: u, DialTimeout: dialTimeout}
	url := fmt.Sprintf("%s?group=%d&hz=%d&bytes=%d", r.srv.wsURL, p.idx%f.groups, f.hz, f.frameBytes)
	ws, resp, err := d.DialContext(ctx, url, nil)
	if err != nil {
		if resp != nil {
			return fmt.Errorf("handshake refused: HTTP %d", resp.StatusCode)
		}
		return err
	}
	rc.ws = ws
	p.link = rc
	r.tickHz.CompareAndSwap(0, int64(f.hz))
	return nil
}

// onFloor handles one message of the bare server on a poller goroutine.
func (p *player) onFloor(data []byte) {
	now := p.r.clk.Now()
	if len(data) < floorHead {
		p.r.errs.Add("floor: short message")
		return
	}
	p.bytesIn.Add(int64(wireSize(len(data), false)))
	v := binary.LittleEndian.Uint64(data[1:floorHead])
	switch data[0] {
	case floorState:
		p.framesIn.Add(1)
		p.stateBytes.Add(int64(len(data)))
		p.onState(v, now)
	case floorPing:
		sent := int64(v) - p.r.clk.Unix0
		p.r.rtt.Record(p.idx, now-sent, p.r.inWindow(now))
	default:
		p.r.errs.Add("floor: unknown message kind")
	}
}

// link is what the scheduler and the fleet need of a connection.
type link interface {
	SendRaw(data []byte) error
	Err() error
}

// rawConn is a floor client's connection.
type rawConn struct {
	ws       *websocket.Conn
	closeErr atomic.Pointer[linkError] // how it ended; nil while open
}

// linkError is how a raw connection ended.
type linkError struct{ err error }

func (c *rawConn) SendRaw(data []byte) error {
	if err := c.Err(); err != nil {
		return err
	}
	return c.ws.WriteMessage(websocket.BinaryMessage, data)
}

func (c *rawConn) Err() error {
	if e := c.closeErr.Load(); e != nil {
		return e.err
	}
	return nil
}

// newRawEngine is the floor clients' event loop, configured as
// client.NewEngine configures Tickwire's.
func newRawEngine(pollers int) (*nbhttp.Engine, error) {
	eng := nbhttp.NewEngine(nbhttp.Config{
		Name:                    "bench-floor-client",
		NPoller:                 pollers,
		SupportServerOnly:       false,
		ReleaseWebsocketPayload: true,
	})
	if err := eng.Start(); err != nil {
		return nil, fmt.Errorf("start client engine: %w", err)
	}
	return eng, nil
}

// floorSizes are the input and state message sizes of the floor: the
// flags, or what an arena run of c's shape would send (estimated from
// encoded messages; a -floor run uses the arena's measured means instead).
func (c *config) floorSizes() (input, frame int) {
	input, frame = c.floorInputBytes, c.floorFrameBytes
	if input == 0 || frame == 0 {
		ei, ef := estimateArenaSizes(c.perRoom())
		if input == 0 {
			input = ei
		}
		if frame == 0 {
			frame = ef
		}
	}
	return max(input, floorHead), max(frame, floorHead)
}

// estimateArenaSizes encodes the arena's messages for a room of n moving
// players: an input Envelope, and the StateFrame Envelope of a tick's
// delta that carries every player (ids and room id of the lengths the
// servers make).
func estimateArenaSizes(n int) (input, frame int) {
	env := &protocol.Envelope{Ref: 1000, Msg: &tickwirev1.Envelope_Input{Input: &tickwirev1.Input{
		RoomId: "abcd2345", Seq: 1000, Payload: mustMarshal(&arenav1.Input{Dx: 0.7071, Dy: -0.7071}),
	}}}
	input = proto.Size(env)
	st := &arenav1.State{Players: map[string]*arenav1.Player{}}
	for i := range n {
		a := float64(i)
		st.Players[fmt.Sprintf("g-%010d", i)] = &arenav1.Player{
			X: float32(400 + 300*math.Cos(a)), Y: float32(300 + 200*math.Sin(a)),
			Vx: float32(120 * math.Sin(a)), Vy: float32(-120 * math.Cos(a)), Hp: 100,
		}
	}
	env = &protocol.Envelope{Msg: &tickwirev1.Envelope_State{State: &tickwirev1.StateFrame{
		RoomId: "abcd2345", Tick: 1000, LastInputSeq: 1000, ServerTimeUnixNano: 1 << 60,
		Body: &tickwirev1.StateFrame_Delta{Delta: &tickwirev1.Delta{Patch: mustMarshal(st)}},
	}}}
	return input, proto.Size(env)
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err) // plain messages always encode
	}
	return b
}
