package main

import (
	"math"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Every query of the dashboard is in the renderer's subset and names a
// metric the code registers (server, tick, lobby, channel) or one of the
// Go and process collectors': a renamed metric fails here, not on a
// Grafana nobody is watching.
func TestDashboardQueries(t *testing.T) {
	d, err := loadDashboard("../tickwire.json")
	if err != nil {
		t.Fatal(err)
	}
	registered := map[string]bool{"process_cpu_seconds_total": true, "process_resident_memory_bytes": true, "go_memstats_heap_inuse_bytes": true, "go_goroutines": true}
	nameRE := regexp.MustCompile(`Name:\s*"(tickwire_[a-z_]+)"`)
	for _, f := range []string{"../../../server/metrics.go", "../../../tick/metrics.go", "../../../lobby/metrics.go", "../../../channel/metrics.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range nameRE.FindAllStringSubmatch(string(b), -1) {
			registered[m[1]] = true
		}
	}
	panels := 0
	for _, p := range d.Panels {
		if p.Type != "timeseries" {
			continue
		}
		panels++
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			e, err := parse(substitute(tg.Expr, 15*time.Second))
			if err != nil {
				t.Errorf("panel %q: %v", p.Title, err)
				continue
			}
			name := strings.TrimSuffix(e.name, "_bucket")
			if !registered[name] {
				t.Errorf("panel %q queries %s, which no metrics.go registers", p.Title, e.name)
			}
		}
	}
	if panels < 15 {
		t.Errorf("%d panels", panels)
	}
}

// rate and histogram_quantile over scrapes agree with hand computation:
// a counter reset counts from zero, the quantile interpolates inside the
// bucket holding the rank.
func TestEvaluate(t *testing.T) {
	st := newStore()
	t0 := time.Unix(1000, 0)
	text := []string{
		"c_total{g=\"a\"} 0\nh_bucket{le=\"0.1\"} 0\nh_bucket{le=\"0.2\"} 0\nh_bucket{le=\"+Inf\"} 0\n",
		"c_total{g=\"a\"} 10\nh_bucket{le=\"0.1\"} 50\nh_bucket{le=\"0.2\"} 90\nh_bucket{le=\"+Inf\"} 100\n",
		"c_total{g=\"a\"} 4\nh_bucket{le=\"0.1\"} 100\nh_bucket{le=\"0.2\"} 180\nh_bucket{le=\"+Inf\"} 200\n# a comment\n",
	}
	for i, s := range text {
		samples, err := parseText(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		st.add(t0.Add(time.Duration(i)*time.Second), samples)
	}
	e, err := parse(`sum by (g) (rate(c_total{g=~".*"}[5s]))`)
	if err != nil {
		t.Fatal(err)
	}
	ls := st.eval(e)
	// Over 2 s: +10, then a reset to 4 (counted as +4): 14/2.
	if len(ls) != 1 || ls[0].values[2] != 7 || ls[0].labels["g"] != "a" || !math.IsNaN(ls[0].values[0]) {
		t.Fatalf("rate = %+v", ls)
	}
	e, err = parse(`histogram_quantile(0.5, sum by (le) (rate(h_bucket[5s])))`)
	if err != nil {
		t.Fatal(err)
	}
	ls = st.eval(e)
	// 200 in 2 s, rank 50/s of 100/s: the top of the first bucket.
	if len(ls) != 1 || math.Abs(ls[0].values[2]-0.1) > 1e-9 {
		t.Fatalf("p50 = %+v", ls)
	}
	e, _ = parse(`histogram_quantile(0.7, sum by (le) (rate(h_bucket[5s])))`)
	// rank 70 of 100: 20 into the second bucket's 40 → 0.1 + 0.1·20/40.
	if v := st.eval(e)[0].values[2]; math.Abs(v-0.15) > 1e-9 {
		t.Errorf("p70 = %v, want 0.15", v)
	}
	e, _ = parse(`histogram_quantile(0.99, sum by (le) (rate(h_bucket[5s])))`)
	if v := st.eval(e)[0].values[2]; v != 0.2 {
		t.Errorf("p99 in +Inf = %v, want the highest finite bound 0.2", v)
	}
	if _, err := parse(`avg(c_total)`); err == nil {
		t.Error("avg parsed: the subset has sum only")
	}
	if got := legend("{{g}} p50", map[string]string{"g": "arena"}); got != "arena p50" {
		t.Errorf("legend = %q", got)
	}
}
