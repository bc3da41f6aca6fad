package wasmgame_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tetratelabs/wazero"
	"go.uber.org/goleak"

	"github.com/tickwire/tickwire/internal/wasmbuild"
)

// The guests the tests load, built from source by TestMain (Go's build
// cache makes a rebuild cheap) rather than committed as binaries.
var guests struct {
	arena, probeV1, probeV2 string // .wasm paths
	cache                   wazero.CompilationCache
}

// TestMain builds the guests, shares one compilation cache between the
// tests (compiling a Go guest takes seconds), and fails the package if a
// test leaves a goroutine running.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "wasmgame-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	builds := []struct {
		out, pkg string
		ldflags  string
		dst      *string
	}{
		{"arena.wasm", wasmbuild.Arena, "", &guests.arena},
		{"probe1.wasm", "./testdata/probe", "-X main.version=1", &guests.probeV1},
		{"probe2.wasm", "./testdata/probe", "-X main.version=2", &guests.probeV2},
	}
	for _, b := range builds {
		out := filepath.Join(dir, b.out)
		if err := wasmbuild.Build(out, b.pkg, b.ldflags); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		*b.dst = out
	}
	guests.cache = wazero.NewCompilationCache()
	defer guests.cache.Close(context.Background())
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			return 1
		}
	}
	return code
}
