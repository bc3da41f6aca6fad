package nbclose

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lesismal/nbio"
)

// pair is an nbio connection on eng and the plain socket at its other end.
func pair(t *testing.T, eng *nbio.Engine, ln net.Listener) (*nbio.Conn, *net.TCPConn) {
	t.Helper()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	d, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	nb, err := eng.AddConn(d)
	if err != nil {
		t.Fatal(err)
	}
	peer, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { _ = peer.Close() })
	return nb, peer.(*net.TCPConn)
}

func engine(t *testing.T, onData func(*nbio.Conn, []byte), onClose func(*nbio.Conn, error), writers *sync.Map) *nbio.Engine {
	t.Helper()
	eng := nbio.NewEngine(nbio.Config{NPoller: 1})
	if onData == nil {
		onData = func(*nbio.Conn, []byte) {}
	}
	eng.OnData(onData)
	if onClose != nil {
		eng.OnClose(onClose)
	}
	eng.OnWrittenSize(func(c *nbio.Conn, _ []byte, n int) {
		if w, ok := writers.Load(c); ok {
			w.(*Writer).Reported(n)
		}
	})
	if err := eng.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	return eng
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln
}

// A writer that outruns its reader: the socket refuses bytes, nbio queues
// them, later writes queue behind them, and the reader gets every byte in
// order.
func TestWriterKeepsOrderWhenTheSocketIsFull(t *testing.T) {
	var writers sync.Map
	eng := engine(t, nil, nil, &writers)
	nb, peer := pair(t, eng, listen(t))
	_ = nb.SetWriteBuffer(4 << 10)
	w := NewWriter(nb)
	writers.Store(nb, w)

	// More than the peer's receive buffer grows to on loopback (6 MiB).
	const chunks, size = 4000, 4 << 10
	var want bytes.Buffer
	direct := 0
	for i := range chunks {
		b := make([]byte, size)
		for j := 0; j < size; j += 4 {
			binary.BigEndian.PutUint32(b[j:], uint32(i*size+j))
		}
		want.Write(b)
		if err := w.Write(b, func(n int) { direct += n }); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
	}
	nb.Lock()
	queued := w.queued
	nb.Unlock()
	if queued == 0 {
		t.Fatalf("%d bytes written with nothing queued in nbio: the test did not fill the socket", want.Len())
	}
	if direct == 0 || direct >= want.Len() {
		t.Fatalf("the Writer wrote %d of %d bytes itself; want some but not all", direct, want.Len())
	}
	got := make([]byte, want.Len())
	_ = peer.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.ReadFull(peer, got); err != nil {
		t.Fatalf("reading %d bytes: %v", len(got), err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		i := 0
		for i < len(got) && got[i] == want.Bytes()[i] {
			i++
		}
		t.Fatalf("bytes differ from offset %d of %d", i, len(got))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		nb.Lock()
		queued = w.queued
		nb.Unlock()
		if queued == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes still counted queued after the reader took everything", queued)
		}
		time.Sleep(time.Millisecond)
	}
}

// A write that fails (the peer reset) leaves the connection to its
// poller: with the poller busy, the connection is still open after the
// failed Write — its fd number cannot go to another socket while the
// poller may hold an event of this one — and the poller closes it once
// free.
func TestWriterLeavesTheCloseToThePoller(t *testing.T) {
	var writers sync.Map
	release := make(chan struct{})
	busy := make(chan struct{})
	closed := make(chan error, 2)
	var blocker atomic.Pointer[nbio.Conn]
	eng := engine(t, func(c *nbio.Conn, _ []byte) {
		if c == blocker.Load() {
			close(busy)
			<-release // the poller is stuck here
		}
	}, func(c *nbio.Conn, err error) {
		if c != blocker.Load() {
			closed <- err
		}
	}, &writers)
	ln := listen(t)
	bc, blockPeer := pair(t, eng, ln)
	blocker.Store(bc)
	nb, peer := pair(t, eng, ln)
	w := NewWriter(nb)
	writers.Store(nb, w)
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()

	if _, err := blockPeer.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	<-busy
	_ = peer.SetLinger(0)
	_ = peer.Close() // an RST
	var werr error
	deadline := time.Now().Add(10 * time.Second)
	for werr == nil {
		if time.Now().After(deadline) {
			t.Fatal("writes to a reset socket kept succeeding")
		}
		werr = w.Write([]byte("state frame"), nil)
		if werr == nil {
			time.Sleep(time.Millisecond)
		}
	}
	nb.Lock()
	isClosed, _ := nb.IsClosed()
	nb.Unlock()
	if isClosed {
		t.Fatalf("the failed write (%v) closed the connection on the writing goroutine", werr)
	}
	if err := w.Write([]byte("more"), nil); err == nil {
		t.Fatal("a write after the failure succeeded")
	}
	close(release)
	select {
	case <-closed:
	case <-time.After(Fallback / 2):
		t.Fatal("the poller did not close the connection")
	}
}
