// Package wasmbuild builds WebAssembly guests (wasmgame/guest games) for
// tests: `GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared`, from
// source, so no test depends on a committed binary. Go's build cache makes
// a rebuild cheap.
package wasmbuild

import (
	"fmt"
	"os"
	"os/exec"
)

// Build builds pkg (an import path, or a path relative to the caller's
// working directory) as a WASI reactor at out, with ldflags (empty: none),
// e.g. "-X main.version=2".
func Build(out, pkg, ldflags string) error {
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-ldflags", ldflags, "-o", out, pkg)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// Arena is the import path of the arena guest (examples/arena/wasm).
const Arena = "github.com/tickwire/tickwire/examples/arena/wasm"
