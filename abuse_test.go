package tickwire_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/tick"
)

// The abuse tests (issue #16, docs/limits.md): hostile HTTP and networks
// against a whole Node (server, rooms, lobby, channels) built the public
// way, with real sockets on loopback.

// clock is a game whose state changes on every tick, so that every tick
// sends each player a state frame: the rate the tests watch.
type clock struct{}

func (clock) Init(*tick.Room[num]) error                { return nil }
func (clock) Join(*tick.Room[num], tick.PlayerID) error { return nil }
func (clock) Leave(*tick.Room[num], tick.PlayerID)      {}
func (clock) Input(*tick.Room[num], tick.PlayerID, num) {}
func (clock) Tick(r *tick.Room[num], _ time.Duration)   { r.State().Value++ }

const (
	clockHz       = 20
	publishSecret = "abuse-secret"
)

// abuseNode is a started Node serving the clock game.
type abuseNode struct {
	t    *testing.T
	node *tickwire.Node
	http *http.Client
}

func startAbuseNode(t *testing.T, sopts server.Options) *abuseNode {
	t.Helper()
	games := tick.NewRegistry()
	tick.RegisterIn(games, tick.GameInfo{Name: "clock", TickHz: clockHz, MaxPlayers: 64}, func() tick.Game[num, num] { return clock{} })
	node, err := tickwire.NewNode(context.Background(), tickwire.Options{
		Addr:          "127.0.0.1:0",
		Games:         games,
		LogOutput:     io.Discard,
		PublishSecret: publishSecret,
		Server:        sopts,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := node.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return &abuseNode{t: t, node: node, http: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// call makes one lobby API call and decodes its JSON answer into out.
func (a *abuseNode) call(method, path, token, body string, out any) int {
	a.t.Helper()
	req, err := http.NewRequest(method, a.node.URL()+path, strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			a.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func (a *abuseNode) guest(name string) string {
	a.t.Helper()
	var g struct {
		Token string `json:"token"`
	}
	if code := a.call("POST", "/lobby/guest", "", `{"name":"`+name+`"}`, &g); code != http.StatusOK {
		a.t.Fatalf("guest: %d", code)
	}
	return g.Token
}

// room creates a public clock room and returns its id and its creator's seat.
func (a *abuseNode) room(token string) (id, seat string) {
	a.t.Helper()
	var r struct {
		RoomID string `json:"room_id"`
		Seat   string `json:"seat"`
	}
	if code := a.call("POST", "/lobby/rooms", token, `{"game":"clock","max_players":64}`, &r); code != http.StatusOK {
		a.t.Fatalf("create room: %d", code)
	}
	return r.RoomID, r.Seat
}

func (a *abuseNode) seat(token, room string) string {
	a.t.Helper()
	var r struct {
		Seat string `json:"seat"`
	}
	if code := a.call("POST", "/lobby/join", token, `{"room_id":"`+room+`"}`, &r); code != http.StatusOK {
		a.t.Fatalf("join room: %d", code)
	}
	return r.Seat
}

// sessions is the server's open-sessions gauge.
func (a *abuseNode) sessions() float64 {
	mfs, err := a.node.Metrics().Gather()
	if err != nil {
		a.t.Fatal(err)
	}
	var n float64
	for _, mf := range mfs {
		if mf.GetName() == "tickwire_sessions" {
			for _, m := range mf.GetMetric() {
				n += m.GetGauge().GetValue()
			}
		}
	}
	return n
}

// baseline is what a test returns to after its abuse.
type baseline struct {
	sessions   float64
	goroutines int
	heap       uint64 // bytes of heap in use after a GC
}

func (a *abuseNode) baseline() baseline {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return baseline{a.sessions(), runtime.NumGoroutine(), ms.HeapInuse}
}

// backToBaseline waits until the open sessions are back to b's, and the
// goroutines and the heap in use to about b's.
func (a *abuseNode) backToBaseline(b baseline) {
	a.t.Helper()
	servertest.CheckFor(a.t, 15*time.Second, 20*time.Millisecond, func() error {
		if n := a.sessions(); n != b.sessions {
			return fmt.Errorf("%v sessions open, want %v", n, b.sessions)
		}
		// The slack covers goroutines that come and go on their own
		// (timers firing, nbio's pool, the HTTP client's connections).
		if n := runtime.NumGoroutine(); n > b.goroutines+16 {
			return fmt.Errorf("%d goroutines, want at most %d+16", n, b.goroutines)
		}
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > b.heap+16<<20 {
			return fmt.Errorf("heap in use %.1f MB, want at most %.1f+16", float64(ms.HeapInuse)/(1<<20), float64(b.heap)/(1<<20))
		}
		return nil
	})
}

// wsPlayer is a raw WebSocket client of /ws: a hand-written handshake and
// frames over a TCP connection it can reset.
type wsPlayer struct {
	conn   *net.TCPConn
	br     *bufio.Reader
	states atomic.Int64
	done   chan struct{} // closed when reading stops
}

// handshake writes an upgrade request for /ws and reads the answer: the
// status, or an error when the connection ended without one.
func handshake(conn net.Conn, br *bufio.Reader, token string) (int, error) {
	var b strings.Builder
	b.WriteString("GET /ws HTTP/1.1\r\nHost: " + conn.RemoteAddr().String() + "\r\n" +
		"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: " + protocol.Subprotocol + "\r\n")
	if token != "" {
		b.WriteString("Authorization: Bearer " + token + "\r\n")
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	return resp.StatusCode, nil
}

func dialPlayer(t *testing.T, addr, token string) *wsPlayer {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p := &wsPlayer{conn: c.(*net.TCPConn), br: bufio.NewReader(c), done: make(chan struct{})}
	t.Cleanup(func() { p.conn.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if code, err := handshake(c, p.br, token); err != nil || code != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %d %v", code, err)
	}
	return p
}

// send writes env as one masked binary frame.
func (p *wsPlayer) send(env *protocol.Envelope) error {
	data, err := proto.Marshal(env)
	if err != nil {
		return err
	}
	frame := []byte{0x82}
	switch n := len(data); {
	case n < 126:
		frame = append(frame, 0x80|byte(n))
	default:
		frame = append(frame, 0x80|126, byte(n>>8), byte(n))
	}
	frame = append(frame, 0, 0, 0, 0) // a zero mask key leaves the payload as is
	_, err = p.conn.Write(append(frame, data...))
	return err
}

// read reads one server frame.
func (p *wsPlayer) read() (op byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(p.br, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		_, err = io.ReadFull(p.br, b[:])
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		_, err = io.ReadFull(p.br, b[:])
		n = binary.BigEndian.Uint64(b[:])
	}
	if err != nil || n > 16<<20 {
		return 0, nil, fmt.Errorf("frame header: %v (length %d)", err, n)
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(p.br, payload)
	return h[0] & 0x0f, payload, err
}

// join sends a JoinRoom with seat and reads until the Joined.
func (p *wsPlayer) join(room, seat string) error {
	if err := p.send(&protocol.Envelope{Ref: 1, Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: &tickwirev1.JoinRoom{RoomId: room, Seat: seat}}}); err != nil {
		return err
	}
	for {
		op, payload, err := p.read()
		if err != nil {
			return err
		}
		if op != 0x2 {
			continue
		}
		var env protocol.Envelope
		if err := proto.Unmarshal(payload, &env); err != nil {
			return err
		}
		if env.GetJoined() != nil {
			return nil
		}
		if e := env.GetError(); e != nil {
			return fmt.Errorf("join refused: %v", e)
		}
	}
}

// count reads frames until the connection ends, counting state frames.
func (p *wsPlayer) count() {
	defer close(p.done)
	_ = p.conn.SetDeadline(time.Time{})
	for {
		op, payload, err := p.read()
		if err != nil {
			return
		}
		if op != 0x2 {
			continue
		}
		var env protocol.Envelope
		if proto.Unmarshal(payload, &env) == nil && env.GetState() != nil {
			p.states.Add(1)
		}
	}
}

// reset ends the connection with a TCP RST, as a crashed or unplugged
// peer's kernel would: no close frame, no FIN.
func (p *wsPlayer) reset() {
	_ = p.conn.SetLinger(0)
	_ = p.conn.Close()
}

// TestAbuseHandshakeFlood opens 2,000 upgrades as fast as it can, 64 at a
// time, each closed (or reset) right after its answer: every one gets 101
// or an HTTP status (none is dropped mid-handshake), and afterwards the
// sessions and goroutines are back to where they were.
func TestAbuseHandshakeFlood(t *testing.T) {
	a := startAbuseNode(t, server.Options{})
	token := a.guest("flooder")
	base := a.baseline()
	const total, inFlight = 2000, 64
	var (
		next     atomic.Int64
		statuses sync.Map // status → *atomic.Int64
		failMu   sync.Mutex
		failures []string
		wg       sync.WaitGroup
	)
	begin := time.Now()
	for range inFlight {
		wg.Go(func() {
			for i := next.Add(1); i <= total; i = next.Add(1) {
				code, err := func() (int, error) {
					c, err := net.Dial("tcp", a.node.Addr())
					if err != nil {
						return 0, err
					}
					defer c.Close()
					if i%2 == 0 {
						// Every other one is reset rather than closed: the
						// server's next write to it fails (upgrade.go).
						_ = c.(*net.TCPConn).SetLinger(0)
					}
					_ = c.SetDeadline(time.Now().Add(10 * time.Second))
					return handshake(c, bufio.NewReader(c), token)
				}()
				if err != nil {
					failMu.Lock()
					failures = append(failures, err.Error())
					failMu.Unlock()
					continue
				}
				v, _ := statuses.LoadOrStore(code, new(atomic.Int64))
				v.(*atomic.Int64).Add(1)
			}
		})
	}
	wg.Wait()
	took := time.Since(begin)
	var counts []string
	statuses.Range(func(k, v any) bool {
		counts = append(counts, fmt.Sprintf("%d×%d", v.(*atomic.Int64).Load(), k))
		return true
	})
	slices.Sort(counts)
	t.Logf("%d upgrades, %d in flight: %v in %v (%.0f/s); %d failed", total, inFlight, counts, took.Round(time.Millisecond), total/took.Seconds(), len(failures))
	if len(failures) > 0 {
		t.Fatalf("%d of %d upgrades got no HTTP status: %q", len(failures), total, failures[:min(len(failures), 5)])
	}
	a.backToBaseline(base)
}

// TestAbuseRoomReset: half of a room's players reset their connections
// mid-stream; the other half go on receiving state at the tick rate, and
// the sessions are back to the other half's.
func TestAbuseRoomReset(t *testing.T) {
	a := startAbuseNode(t, server.Options{})
	const players = 16
	owner := a.guest("p0")
	room, seat := a.room(owner)
	baseSessions := a.sessions()
	ps := make([]*wsPlayer, players)
	for i := range ps {
		token, s := owner, seat
		if i > 0 {
			token = a.guest(fmt.Sprintf("p%d", i))
			s = a.seat(token, room)
		}
		ps[i] = dialPlayer(t, a.node.Addr(), token)
		if err := ps[i].join(room, s); err != nil {
			t.Fatalf("player %d: %v", i, err)
		}
	}
	var readers sync.WaitGroup
	for _, p := range ps {
		readers.Go(p.count)
	}
	t.Cleanup(func() {
		for _, p := range ps {
			p.conn.Close()
		}
		readers.Wait()
	})
	stay := ps[:players/2]
	// windows counts the state frames stay received in n windows of w and
	// returns each window's share of the tick rate.
	windows := func(n int, w time.Duration) []float64 {
		var out []float64
		for range n {
			before, begin := sum(stay), time.Now()
			time.Sleep(w) // the measurement window itself
			got, elapsed := sum(stay)-before, time.Since(begin)
			out = append(out, float64(got)/(float64(len(stay))*clockHz*elapsed.Seconds()))
		}
		return out
	}
	const window = 500 * time.Millisecond
	before := windows(4, window)
	for _, p := range ps[players/2:] {
		p.reset()
	}
	after := windows(6, window)
	t.Logf("state rate of the players who stayed, share of %d/s per window: before %.2f, after the resets %.2f", clockHz, before, after)
	for i, r := range append(before, after...) {
		if r < 0.8 {
			t.Errorf("window %d: %.0f%% of the tick rate, want at least 80%%", i, 100*r)
		}
	}
	servertest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if n := a.sessions(); n != baseSessions+players/2 {
			return fmt.Errorf("%v sessions open, want %v", n, baseSessions+players/2)
		}
		return nil
	})
}

func sum(ps []*wsPlayer) int64 {
	var n int64
	for _, p := range ps {
		n += p.states.Load()
	}
	return n
}

// trickle writes req to a new connection one byte every gap until the
// server answers or closes, and returns the status line ("" for a close
// without one) and when it came.
func trickle(addr, req string, gap time.Duration) (string, time.Duration, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return "", 0, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	begin := time.Now()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(c).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	t := time.NewTicker(gap)
	defer t.Stop()
	for i := 0; ; i++ {
		if _, err := c.Write([]byte{req[i%len(req)]}); err != nil {
			return <-line, time.Since(begin), nil
		}
		select {
		case s := <-line:
			return s, time.Since(begin), nil
		case <-t.C:
		}
	}
}

// TestAbuseSlowloris: hundreds of connections trickle a request head a
// byte at a time; the header deadline answers each with 408, while a
// normal client's /healthz and /ws joins keep being served quickly.
func TestAbuseSlowloris(t *testing.T) {
	const (
		conns   = 300
		timeout = 2 * time.Second
		gap     = 250 * time.Millisecond
	)
	a := startAbuseNode(t, server.Options{HeaderTimeout: timeout})
	owner := a.guest("owner")
	room, _ := a.room(owner)

	type result struct {
		line string
		took time.Duration
		err  error
	}
	results := make(chan result, conns)
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			line, took, err := trickle(a.node.Addr(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ", gap)
			results <- result{line, took, err}
		})
	}
	// Meanwhile, a normal client.
	var health, joins []time.Duration
	end := time.Now().Add(timeout + time.Second)
	for i := 0; time.Now().Before(end); i++ {
		begin := time.Now()
		if code := a.call("GET", "/healthz", "", "", nil); code != http.StatusOK {
			t.Fatalf("/healthz during the attack: %d", code)
		}
		health = append(health, time.Since(begin))
		if i%4 == 0 {
			token := a.guest(fmt.Sprintf("normal%d", i))
			begin := time.Now()
			seat := a.seat(token, room)
			p := dialPlayer(t, a.node.Addr(), token)
			if err := p.join(room, seat); err != nil {
				t.Fatalf("join during the attack: %v", err)
			}
			joins = append(joins, time.Since(begin))
			p.conn.Close()
		}
	}
	wg.Wait()
	close(results)
	var late []string
	var worst time.Duration
	for r := range results {
		switch {
		case r.err != nil:
			t.Fatalf("a slow connection: %v", r.err)
		case r.line != "HTTP/1.1 408 Request Timeout":
			late = append(late, fmt.Sprintf("%q after %v", r.line, r.took))
		case r.took > timeout+2*time.Second:
			late = append(late, fmt.Sprintf("408 after %v", r.took))
		}
		worst = max(worst, r.took)
	}
	if len(late) > 0 {
		t.Errorf("%d of %d slow connections not answered 408 by the deadline: %q", len(late), conns, late[:min(len(late), 5)])
	}
	slices.Sort(health)
	slices.Sort(joins)
	p := func(d []time.Duration, q float64) time.Duration {
		return d[int(q*float64(len(d)-1))].Round(time.Microsecond)
	}
	t.Logf("%d slow connections, HeaderTimeout %v: all answered by %v; meanwhile /healthz p50 %v p99 %v max %v (%d calls), lobby seat + /ws join p50 %v max %v (%d)",
		conns, timeout, worst.Round(time.Millisecond), p(health, 0.5), p(health, 0.99), p(health, 1), len(health), p(joins, 0.5), p(joins, 1), len(joins))
	if p(health, 0.99) > 500*time.Millisecond || p(joins, 1) > 2*time.Second {
		t.Errorf("normal clients slowed down: /healthz p99 %v, join max %v", p(health, 0.99), p(joins, 1))
	}
}

// TestAbuseRoutes sends each kind of oversized or malformed request to
// each route that takes a body: every one gets a 4xx within a bounded time
// and bounded memory, and the node goes on serving.
func TestAbuseRoutes(t *testing.T) {
	a := startAbuseNode(t, server.Options{})
	token := a.guest("abuser")
	const mb = 1 << 20
	routes := []struct{ path, auth string }{
		{"/lobby/rooms", "Bearer " + token},
		{"/lobby/join", "Bearer " + token},
		{"/lobby/guest", ""},
		{"/publish", "Bearer " + publishSecret},
		{"/ws/send?sid=unknown", ""},
	}
	bomb := strings.Repeat("[", 600<<10) // nested-JSON bomb under the body limit
	kinds := []struct {
		name string
		req  func(head string) io.Reader
	}{
		{"an 8 MB header", func(head string) io.Reader {
			return io.MultiReader(strings.NewReader(head+"X-Pad: "), repeatReader('a', 8*mb), strings.NewReader("\r\nContent-Length: 2\r\n\r\n{}"))
		}},
		{"10,000 headers", func(head string) io.Reader {
			return strings.NewReader(head + strings.Repeat("X-A: b\r\n", 10000) + "Content-Length: 2\r\n\r\n{}")
		}},
		{"a bad chunked body", func(head string) io.Reader {
			return strings.NewReader(head + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\nnope\r\n\r\n")
		}},
		{"a 50 MB body", func(head string) io.Reader {
			return io.MultiReader(strings.NewReader(head+"Content-Length: 52428800\r\n\r\n"), repeatReader(' ', 50*mb))
		}},
		{"a 50 MB chunked body", func(head string) io.Reader {
			return io.MultiReader(strings.NewReader(head+"Transfer-Encoding: chunked\r\n\r\n3200000\r\n"), repeatReader(' ', 50*mb))
		}},
		{"a nested-JSON bomb", func(head string) io.Reader {
			return strings.NewReader(head + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(bomb)) + bomb)
		}},
		{"a 900 KB JSON string", func(head string) io.Reader {
			body := `{"name":"` + strings.Repeat("a", 900<<10) + `"}`
			return strings.NewReader(head + fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body)) + body)
		}},
	}
	var ms runtime.MemStats
	for _, r := range routes {
		for _, k := range kinds {
			t.Run(r.path+"/"+k.name, func(t *testing.T) {
				head := "POST " + r.path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
				if r.auth != "" {
					head += "Authorization: " + r.auth + "\r\n"
				}
				runtime.GC()
				runtime.ReadMemStats(&ms)
				base := ms.HeapInuse
				status, took, err := answer(a.node.Addr(), k.req(head))
				if err != nil {
					t.Fatal(err)
				}
				runtime.ReadMemStats(&ms)
				if !strings.HasPrefix(status, "HTTP/1.1 4") {
					t.Fatalf("got %q, want a 4xx", status)
				}
				if took > 5*time.Second {
					t.Errorf("answered after %v", took)
				}
				// Nothing near the request's size stays: bodies are refused
				// before they are buffered.
				if ms.HeapInuse > base+16*mb {
					t.Errorf("heap in use grew by %.1f MB", float64(ms.HeapInuse-base)/mb)
				}
				t.Logf("%s in %v", status, took.Round(time.Millisecond))
			})
		}
	}
	if code := a.call("GET", "/healthz", "", "", nil); code != http.StatusOK {
		t.Fatalf("/healthz after the abuse: %d", code)
	}
}

// answer streams req to a new connection and returns the status line.
func answer(addr string, req io.Reader) (string, time.Duration, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return "", 0, err
	}
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	var wg sync.WaitGroup
	defer func() {
		c.Close()
		wg.Wait()
	}()
	begin := time.Now()
	wg.Go(func() { _, _ = io.Copy(c, req) })
	line, err := bufio.NewReader(c).ReadString('\n')
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return "", 0, errors.New("neither answered nor closed")
	}
	return strings.TrimSpace(line), time.Since(begin), nil
}

// repeatReader is n copies of b, never held in memory whole.
func repeatReader(b byte, n int64) io.Reader {
	return io.LimitReader(byteReader(b), n)
}

type byteReader byte

func (b byteReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}
