package server_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestEdgeImportsNoGameParts: the edge (server) imports nothing of the
// lobby, the room runtime or the channel hub, so the transport can change
// without them and they without it; it sees them only through the
// interfaces of Options (RoomJoiner, Lobby, Channels), which the
// composition root (tickwire.NewNode) fills with gateway's adapters.
func TestEdgeImportsNoGameParts(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	const mod = "github.com/tickwire/tickwire/"
	out, err := exec.Command(goCmd, "list", "-deps", mod+"server").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed %d packages: %q", len(deps), out)
	}
	for _, dep := range deps {
		for _, part := range []string{"lobby", "tick", "channel"} {
			if dep == mod+part || strings.HasPrefix(dep, mod+part+"/") {
				t.Errorf("server imports %s", dep)
			}
		}
	}
}
