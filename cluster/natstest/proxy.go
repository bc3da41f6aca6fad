package natstest

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Proxy is a TCP proxy on a loopback port in front of one NATS server, for
// tests of network faults between a client (a Tickwire node) and NATS:
// Cut stops every byte in both directions, as a network partition does
// (connections stay open and silent; nothing is refused or reset, so the
// client learns of it only by its own timeouts); Heal ends the partition,
// dropping the connections that lived through it, as TCP does after a long
// one, so clients reconnect; SetLatency delays every chunk by a duration
// in each direction. The proxy owns its goroutines (an accept loop, two
// pumps per direction of each connection); Close, or the test's cleanup,
// stops them and waits.
type Proxy struct {
	l      net.Listener
	target string

	mu      sync.Mutex
	latency time.Duration
	open    chan struct{} // closed while bytes flow; a fresh one while cut
	conns   map[*proxyConn]struct{}
	closed  bool
	wg      sync.WaitGroup
}

type proxyConn struct {
	client, server net.Conn
	done           chan struct{} // closed by kill
	once           sync.Once
}

func (pc *proxyConn) kill() {
	pc.once.Do(func() {
		close(pc.done)
		_ = pc.client.Close()
		_ = pc.server.Close()
	})
}

// StartProxy starts a proxy to the NATS server at target (host:port or a
// nats:// URL) on 127.0.0.1 and closes it when the test ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	target = strings.TrimPrefix(target, "nats://")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("natstest: proxy: %v", err)
	}
	open := make(chan struct{})
	close(open)
	p := &Proxy{l: l, target: target, open: open, conns: map[*proxyConn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// ProxyAll starts a proxy in front of every server of c and returns them
// with their URLs, comma-separated, for a client that must reach NATS
// only through them.
func (c *Cluster) ProxyAll(t testing.TB) ([]*Proxy, string) {
	t.Helper()
	var ps []*Proxy
	var urls []string
	for i := range c.Len() {
		p := StartProxy(t, c.URL(i))
		ps = append(ps, p)
		urls = append(urls, p.URL())
	}
	return ps, strings.Join(urls, ",")
}

// URL is the proxy's address as a NATS URL.
func (p *Proxy) URL() string { return "nats://" + p.l.Addr().String() }

// Cut stops all traffic through the proxy, both ways, on the connections
// it has and on those it accepts meanwhile, until Heal.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
		p.open = make(chan struct{})
	default: // cut already
	}
}

// Heal ends a Cut: the connections that lived through it are dropped (the
// bytes they held are lost), and new ones flow.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open:
		return // not cut
	default:
	}
	for pc := range p.conns {
		pc.kill()
	}
	close(p.open)
}

// SetLatency delays every chunk of bytes by d in each direction (a round
// trip takes 2d more), on existing and new connections.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	p.latency = d
	p.mu.Unlock()
}

// Close stops the proxy, drops its connections and waits for its
// goroutines. Closing twice does nothing.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	_ = p.l.Close()
	for pc := range p.conns {
		pc.kill()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return // closed
		}
		s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			_ = c.Close() // the server is down: as a client would see it
			continue
		}
		pc := &proxyConn{client: c, server: s, done: make(chan struct{})}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			pc.kill()
			return
		}
		p.conns[pc] = struct{}{}
		p.wg.Add(2)
		p.mu.Unlock()
		go p.pipe(pc, c, s)
		go p.pipe(pc, s, c)
	}
}

// chunk is bytes read from one side, stamped with when they were read.
type chunk struct {
	b  []byte
	at time.Time
}

// pipe copies src to dst through a bounded queue: a reader stamps each
// chunk, and the writer (this goroutine) holds it until its latency has
// passed and the proxy is not cut. Either side failing kills both.
func (p *Proxy) pipe(pc *proxyConn, src, dst net.Conn) {
	defer p.wg.Done()
	defer func() {
		pc.kill()
		p.mu.Lock()
		delete(p.conns, pc)
		p.mu.Unlock()
	}()
	q := make(chan chunk, 256)
	p.wg.Add(1)
	go func() { // the reader: owned by the proxy, ends when src fails or pc dies
		defer p.wg.Done()
		defer close(q)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				select {
				case q <- chunk{b: buf[:n], at: time.Now()}:
				case <-pc.done:
					return
				}
			}
			if err != nil { // EOF, a reset or a kill: the connection is over
				pc.kill()
				return
			}
		}
	}()
	for c := range q {
		p.mu.Lock()
		due := c.at.Add(p.latency)
		p.mu.Unlock()
		if d := time.Until(due); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-pc.done:
				t.Stop()
				return
			}
		}
		p.mu.Lock()
		open := p.open // after the wait: a Cut meanwhile holds this chunk
		p.mu.Unlock()
		select {
		case <-open:
		case <-pc.done:
			return
		}
		if _, err := dst.Write(c.b); err != nil {
			return
		}
	}
}
