package server

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/lesismal/nbio"

	"github.com/tickwire/tickwire/server/internal/wsframe"

	"github.com/tickwire/tickwire/protocol"
)

// Endpoint names, used in metrics and logs.
const (
	endpointEcho = "echo"
	endpointGame = "ws"
)

// Close codes as ints for nbio.
const (
	closeGoingAway = int(protocol.CloseGoingAway)
)

// session is one client connection: a WebSocket, or the HTTP fallback's
// event stream (fallback.go); its transport hides which. Its outbound path
// is the only writer of its transport: every frame goes through send or
// sendState, under mu, so frames leave in the order they were accepted.
//
// Flow control: inflight counts bytes handed to the socket that nbio has
// not yet written (it falls in onWritten). Below Options.WriteHighWater
// frames are written straight away; above it they wait in the outbox, where
// a state snapshot replaces queued state frames of its room and a delta is
// dropped (the room then sends a snapshot), so a slow reader costs at most
// one snapshot per room plus OutboxMaxBytes of control messages.
type session struct {
	srv      *Server
	t        transport
	id       string
	endpoint string
	remote   string
	opened   time.Time

	lastRead atomic.Int64 // unix nanos of the last frame received
	lastPing atomic.Int64 // unix nanos of the last ping sent
	inflight atomic.Int64 // bytes handed to the socket, not yet written
	progress atomic.Int64 // unix nanos of the last write progress while inflight > 0
	queued   atomic.Bool  // the outbox is not empty

	mu        sync.Mutex
	outbox    []outFrame
	outBytes  int // bytes of control frames in outbox
	closing   bool
	closeBy   time.Time // when closing, cut the TCP connection at this time
	closeCode int       // the code close sent (0: none, or the peer closed)

	game *gameState // nil on /echo

	// nbc is the socket under t, when it is on nbio (nil in tests), for
	// sweep's clearing of nbio's accept-time read deadline.
	nbc *nbio.Conn

	// batch holds state frames framed for the wire, written at once by
	// flushBatch when the room's tick is done (Peer.Flush) or before any
	// other write; nil when empty. Only while the outbox is empty.
	batch *protocol.Buffer
}

// outFrame is one frame waiting in the outbox; data is owned by the outbox.
type outFrame struct {
	data     []byte
	msgType  wsframe.Opcode
	room     *roomPeer // state frames only: whose room
	topic    string    // state frames only: StateFrame.topic
	snapshot bool
	state    bool
}

func newSession(srv *Server, t transport, endpoint string, remote string) *session {
	s := &session{
		srv:      srv,
		t:        t,
		id:       srv.newSessionID(),
		endpoint: endpoint,
		remote:   remote,
		opened:   time.Now(),
	}
	now := s.opened.UnixNano()
	s.lastRead.Store(now)
	s.lastPing.Store(now)
	return s
}

// behind reports whether the socket has more than WriteHighWater in flight.
func (s *session) behind() bool {
	return s.inflight.Load() >= int64(s.srv.opts.WriteHighWater)
}

// writeLocked hands one frame to the transport. s.mu must be held.
func (s *session) writeLocked(mt wsframe.Opcode, data []byte) bool {
	size := s.t.wireSize(mt, len(data))
	if s.inflight.Add(size) == size {
		s.progress.Store(time.Now().UnixNano())
	}
	if err := s.t.write(mt, data); err != nil {
		s.inflight.Add(-size)
		s.srv.metrics.writeErrors.Inc()
		// The connection is gone or over nbio's cap: the janitor cuts it
		// at its next sweep (aborting here, under s.mu, could re-enter).
		s.closing, s.closeBy = true, time.Time{}
		return false
	}
	s.srv.metrics.bytesOut.Add(float64(size))
	return true
}

// abort cuts the connection without a closing handshake.
func (s *session) abort() { _ = s.t.abort() }

// written is called from nbio's write callback: n more bytes reached the
// socket. It reports whether the outbox should be flushed now.
func (s *session) written(n int) bool {
	for {
		old := s.inflight.Load()
		v := max(old-int64(n), 0)
		if s.inflight.CompareAndSwap(old, v) {
			if v > 0 {
				s.progress.Store(time.Now().UnixNano())
			}
			return s.queued.Load() && v < int64(s.srv.opts.WriteHighWater)
		}
	}
}

// send queues one control frame (or writes it at once when the socket
// keeps up). It reports false when the session is closing or was closed for
// overflowing its outbox.
func (s *session) send(mt wsframe.Opcode, data []byte) bool {
	s.mu.Lock()
	if s.closing || !s.flushBatchLocked() {
		s.mu.Unlock()
		return false
	}
	if len(s.outbox) == 0 && !s.behind() {
		ok := s.writeLocked(mt, data)
		s.mu.Unlock()
		return ok
	}
	if s.outBytes+len(data) > s.srv.opts.OutboxMaxBytes {
		s.mu.Unlock()
		s.srv.metrics.slowConsumers.Inc()
		s.close(int(protocol.CloseSlowConsumer), "slow consumer: outbox full")
		return false
	}
	s.outbox = append(s.outbox, outFrame{data: append([]byte(nil), data...), msgType: mt})
	s.outBytes += len(data)
	s.queued.Store(true)
	s.mu.Unlock()
	s.kick()
	return true
}

// sendEnvelope encodes env once and sends it.
func (s *session) sendEnvelope(env *protocol.Envelope) bool {
	b, err := protocol.Encode(env)
	if err != nil {
		s.srv.log.Error().Err(err).Msg("encode envelope")
		return false
	}
	defer b.Release()
	return s.send(wsframe.OpBinary, b.B)
}

// sendState writes one state frame: shared bytes plus this receiver's
// last input seq. It reports false when the frame was dropped because the
// session is behind (the room must send a snapshot next).
func (s *session) sendState(room *roomPeer, topic string, shared []byte, lastInputSeq uint64, snapshot bool) bool {
	buf := protocol.GetBuffer()
	defer buf.Release()
	buf.B = append(buf.B, shared...)
	buf.B = protocol.AppendLastInputSeq(buf.B, lastInputSeq)

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	if len(s.outbox) == 0 && !s.behind() {
		if f, ok := s.t.(framer); ok {
			if s.batch == nil {
				s.batch = protocol.GetBuffer()
			}
			s.batch.B = f.appendFrame(s.batch.B, wsframe.OpBinary, buf.B)
			if len(s.batch.B) >= s.srv.opts.WriteHighWater {
				return s.flushBatchLocked()
			}
			return true
		}
		return s.writeLocked(wsframe.OpBinary, buf.B)
	}
	if !s.flushBatchLocked() {
		return false
	}
	if !snapshot {
		s.srv.metrics.droppedDeltas.Inc()
		return false
	}
	// A snapshot supersedes every state frame of its room and topic still
	// queued.
	kept := s.outbox[:0]
	for _, f := range s.outbox {
		if !(f.state && f.room == room && f.topic == topic) {
			kept = append(kept, f)
		}
	}
	clear(s.outbox[len(kept):])
	s.outbox = append(kept, outFrame{data: append([]byte(nil), buf.B...), msgType: wsframe.OpBinary, room: room, topic: topic, snapshot: true, state: true})
	s.queued.Store(true)
	s.srv.metrics.queuedSnapshots.Inc()
	s.kick()
	return true
}

// flushState writes the state frames batched during a tick (Peer.Flush).
func (s *session) flushState() {
	s.mu.Lock()
	s.flushBatchLocked()
	s.mu.Unlock()
}

// flushBatchLocked writes the batch in one write, counted in flight like
// any frame. It reports false when the write failed. s.mu must be held.
func (s *session) flushBatchLocked() bool {
	b := s.batch
	if b == nil {
		return true
	}
	s.batch = nil
	defer b.Release()
	if s.closing {
		return false
	}
	size := int64(len(b.B))
	if s.inflight.Add(size) == size {
		s.progress.Store(time.Now().UnixNano())
	}
	if err := s.t.(framer).writeFramed(b.B); err != nil {
		s.inflight.Add(-size)
		s.srv.metrics.writeErrors.Inc()
		s.closing, s.closeBy = true, time.Time{} // as writeLocked
		return false
	}
	s.srv.metrics.bytesOut.Add(float64(size))
	return true
}

// kick asks the flusher to write the outbox as soon as the socket drains.
// It takes no lock, so callers may hold s.mu.
func (s *session) kick() {
	if s.behind() {
		return // onWritten nudges the flusher when the socket drains
	}
	select {
	case s.srv.flushCh <- s:
	default:
	}
}

// flush writes queued frames while the socket keeps up.
func (s *session) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.flushBatchLocked() {
		return
	}
	for len(s.outbox) > 0 && !s.closing && !s.behind() {
		f := s.outbox[0]
		s.outbox[0] = outFrame{}
		s.outbox = s.outbox[1:]
		if !f.state {
			s.outBytes -= len(f.data)
		}
		if !s.writeLocked(f.msgType, f.data) {
			break
		}
	}
	if len(s.outbox) == 0 {
		s.outbox = nil
		s.queued.Store(false)
	}
}

// close starts the closing handshake: it drops the outbox, sends a close
// frame (or the fallback's close event) with code and reason, and leaves
// the rest to the peer's reply or to the janitor, which cuts the connection
// after Options.CloseGrace (a fallback stream: as soon as it drained).
func (s *session) close(code int, reason string) {
	payload := wsframe.ClosePayload(code, reason)
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	s.flushBatchLocked() // frames already accepted go before the close
	s.closing, s.closeCode = true, code
	s.closeBy = time.Now().Add(s.srv.opts.CloseGrace)
	s.outbox, s.outBytes = nil, 0
	s.queued.Store(false)
	// The close is counted in flight like any frame: a fallback stream is
	// cut once it has drained (see sweep), and nbio drops unwritten bytes
	// when a connection is closed.
	s.inflight.Add(s.t.wireSize(wsframe.OpClose, len(payload)))
	err := s.t.write(wsframe.OpClose, payload)
	s.mu.Unlock()
	s.srv.metrics.closes.WithLabelValues(itoa(code)).Inc()
	if err != nil {
		s.abort()
	}
}

// closedWith is the code the server closed the session with, or 0.
func (s *session) closedWith() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeCode
}

func (s *session) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// sweep runs on the janitor: keepalive pings, idle and stall timeouts, and
// the end of a closing handshake that the peer never answered.
func (s *session) sweep(now time.Time) {
	o := &s.srv.opts
	s.mu.Lock()
	s.flushBatchLocked() // a room that failed mid-tick never flushed
	closing, closeBy := s.closing, s.closeBy
	queued := len(s.outbox) > 0
	s.mu.Unlock()
	if closing {
		// A stream has no closing handshake: once its close event left,
		// the server ends the connection itself.
		if now.After(closeBy) || (s.t.closedAfterFlush() && s.inflight.Load() == 0) {
			s.abort()
		}
		return
	}
	if s.nbc != nil && now.Sub(s.opened) < o.IdleTimeout/2 {
		// nbio arms an accepted connection's read deadline (its HTTP
		// keep-alive, IdleTimeout) on the accepting goroutine after it
		// hands the connection to a poller, so an upgrade that clears the
		// deadline first is undone, and nbio then closes the connection
		// IdleTimeout after it opened, busy or not (the soak: seated bots
		// cut at 45.0 s). The session's own idle timeout replaces the
		// deadline; clearing it here again, well before it can fire, wins
		// the race whatever the order.
		_ = s.nbc.SetReadDeadline(time.Time{})
	}
	nanos := now.UnixNano()
	if o.IdleTimeout > 0 && nanos-s.lastRead.Load() > int64(o.IdleTimeout) {
		s.srv.metrics.idleTimeouts.Inc()
		s.close(int(protocol.CloseIdleTimeout), "keepalive timeout")
		return
	}
	if s.inflight.Load() > 0 && nanos-s.progress.Load() > int64(o.StallTimeout) {
		s.srv.metrics.slowConsumers.Inc()
		s.close(int(protocol.CloseSlowConsumer), "slow consumer: stalled")
		return
	}
	if queued {
		s.kick()
	}
	if o.PingInterval > 0 && nanos-s.lastPing.Load() >= int64(o.PingInterval) && nanos-s.lastRead.Load() >= int64(o.PingInterval) {
		s.lastPing.Store(nanos)
		s.send(wsframe.OpPing, nil)
	}
}
