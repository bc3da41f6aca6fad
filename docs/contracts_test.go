package docs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEContracts checks that the README and docs/contracts.md still
// document every contract outside tools rely on: the two commands, the
// demo's flags, the endpoints, the lobby's routes and the bench's keys.
func TestREADMEContracts(t *testing.T) {
	want := []string{
		"github.com/tickwire/tickwire",
		"go run ./examples/demo",
		"bash scripts/test.sh",
		"go run ./cmd/tickwire new MODULE_PATH",
		"`-addr`", "`127.0.0.1:8080`", "`-tls-cert`", "`-tls-key`", "`-origins`",
		"`-log-level`", "`-log-format`",
		"`GET /healthz`", "`GET /metrics`", "`/echo`", "`/ws`", "`tickwire.v1`",
		"`POST /lobby/guest`", "`GET /lobby/games`", "`GET /lobby/rooms?game=NAME`",
		"`POST /lobby/rooms`", "`POST /lobby/join`", "`POST /lobby/tickets`",
		"`GET /lobby/tickets/ID`", "`DELETE /lobby/tickets/ID`",
		`{"error":{"code":"...","message":"..."}}`, "Authorization: Bearer TOKEN",
		"go run ./bench",
		"`clients`", "`rooms`", "`tick_hz`", "`latency_ms`", "`p50`", "`p90`", "`p99`",
		"`p999`", "`max`", "`tick_ms`", "`jitter_ms`", "`server_cpu_pct`",
		"`server_rss_mb`", "`bytes_per_client_s`", "`failed`",
		"| 1001 |", "| 1002 |", "| 1003 |", "| 1008 |", "| 1009 |", "| 1011 |",
	}
	for _, page := range []string{"README.md", "docs/contracts.md"} {
		b, err := os.ReadFile(filepath.Join(root, page))
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for _, w := range want {
			if page == "docs/contracts.md" && strings.HasPrefix(w, "| ") {
				continue // the close-code table lives in the README only
			}
			if !strings.Contains(text, w) {
				t.Errorf("%s no longer documents %s", page, w)
			}
		}
	}
}
