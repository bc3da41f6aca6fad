package dirtest_test

import (
	"testing"

	"github.com/tickwire/tickwire/lobby"
	"github.com/tickwire/tickwire/lobby/dirtest"
)

// TestMemDirectory runs the conformance suite on the embedded directory.
func TestMemDirectory(t *testing.T) {
	dirtest.Run(t, dirtest.Options{New: func(*testing.T) lobby.Directory { return lobby.NewMemDirectory() }})
}
