package main

import (
	"strings"
	"testing"
)

// TestShooterAndRoomPagesServed checks the demo mounts the shooter's page
// and modules, the room browser and their links on the landing page.
func TestShooterAndRoomPagesServed(t *testing.T) {
	srv := startDemo(t)
	base := "http://" + srv.Addr()
	for _, tc := range []struct{ path, want string }{
		{"/", `href="/examples/shooter/"`},
		{"/", `href="/examples/rooms/"`},
		{"/", `href="/sdk/example/minimal.html"`},
		{"/examples/shooter/", `src="page.js"`},
		{"/examples/shooter/?room=abc", `src="page.js"`},
		{"/examples/shooter/page.js", `"/sdk/tickwire.js"`},
		{"/examples/shooter/nav.js", "Navigator"},
		{"/examples/shooter/predict.js", "export function step"},
		{"/examples/rooms/", "/lobby/"},
	} {
		if code, body := httpGet(t, base+tc.path); code != 200 || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s = %d, body lacks %q", tc.path, code, tc.want)
		}
	}
	for _, p := range []string{"/examples/shooter/nope.js", "/examples/rooms/nope"} {
		if code, _ := httpGet(t, base+p); code != 404 {
			t.Errorf("GET %s = %d, want 404", p, code)
		}
	}
}
