package shooter

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// jsFloat is a float32 for JSON, with the non-finite values JSON lacks
// written as strings JavaScript's Number() reads.
type jsFloat float32

func (f jsFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return json.Marshal(strconv.FormatFloat(v, 'g', -1, 64)) // "NaN", "+Inf", "-Inf"
	}
	return json.Marshal(v)
}

// TestPredictJSMatchesStep runs predict.js under Node on random positions
// (many against obstacles and walls) and inputs (garbage included) at
// several tick rates: every result must equal Step's bit for bit. Skipped
// without node on the PATH.
func TestPredictJSMatchesStep(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node on the PATH")
	}
	type tcase struct {
		Hz                 int
		X, Y, MoveX, MoveY jsFloat
	}
	rng := rand.New(rand.NewPCG(5, 6))
	specials := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1e30, -1e-30, 1, -1, 0}
	var cases []tcase
	for i := range 20000 {
		c := tcase{Hz: []int{20, 30, 60, 120}[i%4]}
		if i%2 == 0 { // near an obstacle
			o := obstacles[rng.IntN(len(obstacles))]
			c.X = jsFloat(o.x0 - 30 + rng.Float64()*(o.x1-o.x0+60))
			c.Y = jsFloat(o.y0 - 30 + rng.Float64()*(o.y1-o.y0+60))
		} else {
			c.X = jsFloat(Radius + rng.Float64()*(Width-2*Radius))
			c.Y = jsFloat(Radius + rng.Float64()*(Height-2*Radius))
		}
		c.MoveX, c.MoveY = jsFloat(rng.NormFloat64()), jsFloat(rng.NormFloat64())
		if i%10 == 0 {
			c.MoveX = jsFloat(specials[rng.IntN(len(specials))])
		}
		cases = append(cases, c)
	}
	in, err := json.Marshal(map[string]any{"rules": newRules(60, 180), "obstacles": newObstacles(), "cases": cases})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadFile("predict.js"); err != nil { // also tells go test's cache to watch it
		t.Fatal(err)
	}
	abs, err := filepath.Abs("predict.js")
	if err != nil {
		t.Fatal(err)
	}
	script := `
import { step } from ` + strconv.Quote("file://"+abs) + `;
let text = "";
for await (const chunk of process.stdin) text += chunk;
const { rules, obstacles, cases } = JSON.parse(text);
rules.playerRadius = rules.player_radius ?? rules.playerRadius; rules.maxSpeed = rules.max_speed ?? rules.maxSpeed;
const out = cases.map((c) => step({ ...rules, tickHz: c.Hz }, obstacles, c.X, c.Y, Number(c.MoveX), Number(c.MoveY)));
process.stdout.write(JSON.stringify(out));
`
	cmd := exec.Command(node, "--input-type=module", "-e", script)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outBytes, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.Bytes())
	}
	var got []struct{ X, Y, Vx, Vy float64 }
	if err := json.Unmarshal(outBytes, &got); err != nil || len(got) != len(cases) {
		t.Fatalf("node's answer (%d results, %v): %.200s", len(got), err, outBytes)
	}
	bad := 0
	for i, c := range cases {
		x, y, vx, vy := Step(float32(c.X), float32(c.Y), float32(c.MoveX), float32(c.MoveY), c.Hz)
		g := got[i]
		if float32(g.X) != x || float32(g.Y) != y || float32(g.Vx) != vx || float32(g.Vy) != vy {
			if bad++; bad <= 5 {
				t.Errorf("case %+v: Go %v,%v %v,%v, JS %v,%v %v,%v", c, x, y, vx, vy, g.X, g.Y, g.Vx, g.Vy)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d cases differ", bad, len(cases))
	}
}
