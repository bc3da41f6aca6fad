package wasmgame_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tetratelabs/wazero"
	"go.uber.org/goleak"
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
		{"arena.wasm", "../examples/arena/wasm", "", &guests.arena},
		{"probe1.wasm", "./testdata/probe", "-X main.version=1", &guests.probeV1},
		{"probe2.wasm", "./testdata/probe", "-X main.version=2", &guests.probeV2},
	}
	for _, b := range builds {
		out := filepath.Join(dir, b.out)
		if err := buildGuest(out, b.pkg, b.ldflags); err != nil {
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

// buildGuest builds pkg as a WASI reactor at out.
func buildGuest(out, pkg, ldflags string) error {
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-ldflags", ldflags, "-o", out, pkg)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %v\n%s", pkg, err, b)
	}
	return nil
}
