package shooter

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestPageServesItsFiles(t *testing.T) {
	h := Page()
	for _, tc := range []struct{ path, ctype, want string }{
		{Path, "text/html; charset=utf-8", `<script type="module" src="page.js">`},
		{Path + "page.js", "text/javascript; charset=utf-8", `from "/sdk/tickwire.js"`},
		{Path + "nav.js", "text/javascript; charset=utf-8", "export class Navigator"},
		{Path + "predict.js", "text/javascript; charset=utf-8", "export function step"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path+"?room=abc", nil))
		body, _ := io.ReadAll(rec.Body)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != tc.ctype || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET %s = %d %q, body lacks %q", tc.path, rec.Code, rec.Header().Get("Content-Type"), tc.want)
		}
		if rec.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache", tc.path, rec.Header().Get("Cache-Control"))
		}
	}
	for _, p := range []string{Path + "shooter.go", Path + "page.html", Path + "x/page.js", "/elsewhere/page.js"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, rec.Code)
		}
	}
}

// TestNavJSFindsPaths runs nav.js under Node on random starts and targets
// across the world: every path must end on the target and keep a player
// (radius 20) clear of every obstacle, checked here in Go with the
// server's own obstacles. Skipped without node on the PATH.
func TestNavJSFindsPaths(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node on the PATH")
	}
	type point struct {
		X float64 `json:"x"`
		Y float64 `json:"y"`
	}
	// free: a player at (x, y) overlaps no obstacle (margin: clear of it by m).
	free := func(x, y, m float64) bool {
		for _, o := range obstacles {
			cx, cy := min(max(x, o.x0), o.x1), min(max(y, o.y0), o.y1)
			if math.Hypot(x-cx, y-cy) < Radius+m {
				return false
			}
		}
		return x >= Radius && x <= Width-Radius && y >= Radius && y <= Height-Radius
	}
	rng := rand.New(rand.NewPCG(7, 8))
	randomFree := func() point {
		for {
			p := point{Radius + rng.Float64()*(Width-2*Radius), Radius + rng.Float64()*(Height-2*Radius)}
			if free(p.X, p.Y, 1) {
				return p
			}
		}
	}
	var cases [][2]point
	for range 400 {
		cases = append(cases, [2]point{randomFree(), randomFree()})
	}
	rules := map[string]any{"playerRadius": Radius, "width": Width, "height": Height}
	var obs []map[string]float64
	for _, o := range obstacles {
		obs = append(obs, map[string]float64{"x0": o.x0, "y0": o.y0, "x1": o.x1, "y1": o.y1})
	}
	in, err := json.Marshal(map[string]any{"rules": rules, "obstacles": obs, "cases": cases})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadFile("nav.js"); err != nil { // also tells go test's cache to watch it
		t.Fatal(err)
	}
	abs, err := filepath.Abs("nav.js")
	if err != nil {
		t.Fatal(err)
	}
	script := `
import { Navigator } from ` + strconv.Quote("file://"+abs) + `;
let text = "";
for await (const chunk of process.stdin) text += chunk;
const { rules, obstacles, cases } = JSON.parse(text);
const nav = new Navigator(rules, obstacles);
process.stdout.write(JSON.stringify(cases.map(([a, b]) => nav.path(a.x, a.y, b.x, b.y))));
`
	cmd := exec.Command(node, "--input-type=module", "-e", script)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var paths [][]point
	if err := json.Unmarshal(out, &paths); err != nil {
		t.Fatal(err)
	}
	longest := 0
	for i, path := range paths {
		a, b := cases[i][0], cases[i][1]
		if len(path) == 0 || path[len(path)-1] != b {
			t.Fatalf("case %d: path %v from %v does not end at %v", i, path, a, b)
		}
		longest = max(longest, len(path))
		from := a
		for _, p := range path {
			// Walk the segment in steps of at most 1 unit: the player's
			// circle never overlaps an obstacle or leaves the world.
			n := int(math.Ceil(math.Hypot(p.X-from.X, p.Y-from.Y)))
			for s := 0; s <= n; s++ {
				f := float64(s) / float64(max(n, 1))
				x, y := from.X+(p.X-from.X)*f, from.Y+(p.Y-from.Y)*f
				if !free(x, y, -1e-6) {
					t.Fatalf("case %d: path %v from %v passes (%.1f, %.1f), too close to an obstacle or a wall", i, path, a, x, y)
				}
			}
			from = p
		}
	}
	t.Logf("%d paths, at most %d waypoints", len(paths), longest)
}
