package lobby

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	memdb "github.com/hashicorp/go-memdb"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tickwire/tickwire/tick"
)

// TestMain fails the package if a test leaves a goroutine running: the
// matchmaker, the janitor and every room watcher must end with Close.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// tally is the test game: inputs add to one number. Rooms tick once a
// second, which costs nothing in fake time and little in real time.
type tally struct{}

type state = *wrapperspb.Int64Value

func (tally) Init(*tick.Room[state]) error                         { return nil }
func (tally) Join(*tick.Room[state], tick.PlayerID) error          { return nil }
func (tally) Leave(*tick.Room[state], tick.PlayerID)               {}
func (tally) Input(r *tick.Room[state], _ tick.PlayerID, in state) { r.State().Value += in.Value }
func (tally) Tick(*tick.Room[state], time.Duration)                {}

var _ tick.Game[state, state] = tally{}

// testGames are registered in every test's registry.
var testGames = []tick.GameInfo{
	{Name: "duel", TickHz: 1, MinPlayers: 2, MaxPlayers: 2},
	{Name: "squad", TickHz: 1, MinPlayers: 2, MaxPlayers: 4},
	{Name: "arena", TickHz: 1, MinPlayers: 1, MaxPlayers: 8},
}

// env is one test's lobby on its own rooms and registry.
type env struct {
	t     testing.TB
	rooms *tick.Rooms
	l     *Lobby
	reg   *prometheus.Registry
}

// newEnv starts rooms and a lobby with opts (Rooms is filled in) and stops
// both when the test ends. Inside a synctest bubble it runs on fake time.
func newEnv(t testing.TB, opts Options) *env {
	t.Helper()
	registry := tick.NewRegistry()
	for _, g := range testGames {
		tick.RegisterIn(registry, g, func() tick.Game[state, state] { return tally{} })
	}
	rooms, err := tick.NewRooms(tick.Options{Registry: registry, Clock: tick.SystemClock{}, MaxRooms: 20_000})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, rooms: rooms, reg: prometheus.NewRegistry()}
	opts.Rooms = rooms
	if opts.Registerer == nil {
		opts.Registerer = e.reg
	}
	l, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.l = l
	t.Cleanup(func() {
		if err := l.Close(context.Background()); err != nil {
			t.Errorf("close lobby: %v", err)
		}
		if err := rooms.Close(context.Background()); err != nil {
			t.Errorf("close rooms: %v", err)
		}
	})
	return e
}

// guest makes a guest and returns its id and token.
func (e *env) guest(name string) (string, string) {
	e.t.Helper()
	g, err := e.l.CreateGuest(context.Background(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return g.PlayerID, g.Token
}

func (e *env) guests(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i], _ = e.guest(fmt.Sprint("g", i))
	}
	return out
}

// dump renders every table of the lobby's store and directory, so a test
// can assert that a refused request changed nothing.
func (e *env) dump() string {
	e.t.Helper()
	var b strings.Builder
	dumpDB(e.t, &b, e.l.db, []string{tablePlayers, tableTickets, tableQueue})
	if md, ok := e.l.dir.(*MemDirectory); ok {
		dumpDB(e.t, &b, md.db, []string{tableRooms, tableSeats, tableUsed})
	}
	return b.String()
}

func dumpDB(t testing.TB, b *strings.Builder, db *memdb.MemDB, tables []string) {
	txn := db.Txn(false)
	for _, table := range tables {
		it, err := txn.Get(table, "id")
		if err != nil {
			t.Fatal(err)
		}
		for o := it.Next(); o != nil; o = it.Next() {
			fmt.Fprintf(b, "%s %+v\n", table, o)
		}
	}
}

// tickets returns every ticket in the store.
func (e *env) tickets() []*ticketRecord {
	it, err := e.l.db.Txn(false).Get(tableTickets, "id")
	if err != nil {
		e.t.Fatal(err)
	}
	var out []*ticketRecord
	for o := it.Next(); o != nil; o = it.Next() {
		out = append(out, o.(*ticketRecord))
	}
	return out
}

// allSeats returns every place in the directory.
func (e *env) allSeats() []SeatRecord {
	rooms, err := e.l.dir.Rooms(context.Background(), "")
	if err != nil {
		e.t.Fatal(err)
	}
	var out []SeatRecord
	for _, r := range rooms {
		s, err := e.l.dir.Seats(context.Background(), r.ID)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, s...)
	}
	return out
}

// checkFor retries f every step until it succeeds or timeout passes.
func checkFor(t testing.TB, timeout, step time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", timeout, err)
		}
		time.Sleep(step)
	}
}

// api is an HTTP client of a lobby behind a real loopback server.
type api struct {
	t   testing.TB
	url string
	c   *http.Client
}

func (e *env) serve() *api {
	srv := httptest.NewServer(e.l.Handler())
	c := srv.Client()
	e.t.Cleanup(func() {
		c.CloseIdleConnections()
		srv.Close()
	})
	return &api{t: e.t, url: srv.URL, c: c}
}

// do sends a request; body is JSON-encoded unless it is a string (sent
// as is) or nil. It returns the status and the raw response body.
func (a *api) do(method, path, token string, body any) (int, []byte) {
	a.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, a.url+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		a.t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return resp.StatusCode, raw
}

// ok sends a request that must succeed and decodes its body into out.
func (a *api) ok(method, path, token string, body, out any) {
	a.t.Helper()
	status, raw := a.do(method, path, token, body)
	if status != http.StatusOK {
		a.t.Fatalf("%s %s: status %d: %s", method, path, status, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			a.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
}

// fails sends a request that must fail with status and code.
func (a *api) fails(method, path, token string, body any, status int, code string) string {
	a.t.Helper()
	got, raw := a.do(method, path, token, body)
	var eb errorBody
	if err := json.Unmarshal(raw, &eb); err != nil {
		a.t.Fatalf("%s %s: error body %q: %v", method, path, raw, err)
	}
	if got != status || eb.Error.Code != code || eb.Error.Message == "" {
		a.t.Fatalf("%s %s: got %d %q %q, want %d %q", method, path, got, eb.Error.Code, eb.Error.Message, status, code)
	}
	return eb.Error.Message
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
