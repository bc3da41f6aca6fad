package wasmgame_test

import (
	"context"
	"testing"
	"time"

	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	"github.com/tickwire/tickwire/tick"
	"github.com/tickwire/tickwire/wasmgame"
)

type (
	arenaHarness = tick.Harness[*arenav1.State, *arenav1.Input]
)

// testCallTimeout is the tests' CallTimeout where they do not test it: the
// shared 2-core machine running the tests stalls threads for longer than
// the default now and then.
const testCallTimeout = 10 * time.Second

// load loads the guest at path with opts (sharing the tests' compilation
// cache; testCallTimeout unless set) and closes it when the test ends.
func load(t testing.TB, path string, opts wasmgame.Options) *wasmgame.Module {
	t.Helper()
	opts.Cache = guests.cache
	if opts.CallTimeout == 0 {
		opts.CallTimeout = testCallTimeout
	}
	m, err := wasmgame.LoadFile(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// harness starts a room of p's game in a tick.Harness, and ends its
// instance when the test ends (a harness has no Close of its own).
func harness(t testing.TB, info tick.GameInfo, p *wasmgame.Plugin, seed uint64) (*arenaHarness, func()) {
	t.Helper()
	g := wasmgame.New[*arenav1.State, *arenav1.Input](p)
	h, err := tick.NewHarness(info, g, seed)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	end := func() {
		if !closed {
			closed = true
			g.(tick.Closer[*arenav1.State]).Close(h.Room())
		}
	}
	t.Cleanup(end)
	return h, end
}

// checkFor polls check every interval until it returns nil or timeout
// passes, and then fails the test with its last error.
func checkFor(t testing.TB, timeout, interval time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(interval)
	}
}
