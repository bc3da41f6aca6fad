package main

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The subset of PromQL the dashboard's queries use, evaluated over scrapes
// kept in memory:
//
//	histogram_quantile(Q, sum by (le, L...) (rate(SEL[RANGE])))
//	sum [by (L...)] (rate(SEL[RANGE]) | SEL)
//	rate(SEL[RANGE]) | SEL
//
// where SEL is name{label="v", label=~"re", label!="v"}. Grafana's
// $__rate_interval and the dashboard's variables are substituted first.
// rate is the increase over the range divided by its span, with counter
// resets handled; it does not extrapolate to the range's edges as
// Prometheus does, which only matters at the first points of a run.

// expr is a parsed query.
type expr struct {
	quantile float64 // histogram_quantile's q; NaN without it
	agg      bool    // sum
	by       []string
	rate     time.Duration // 0: an instant selector
	name     string
	matchers []matcher
}

type matcher struct {
	label, op, value string
	re               *regexp.Regexp
}

func (m matcher) ok(v string) bool {
	switch m.op {
	case "=":
		return v == m.value
	case "!=":
		return v != m.value
	case "=~":
		return m.re.MatchString(v)
	default: // "!~"
		return !m.re.MatchString(v)
	}
}

// substitute replaces Grafana's variables: every template variable
// matches anything, $__rate_interval is rateInterval.
func substitute(q string, rateInterval time.Duration) string {
	q = strings.ReplaceAll(q, "$__rate_interval", rateInterval.String())
	return regexp.MustCompile(`\$\{?[a-z_]+\}?`).ReplaceAllString(q, ".*")
}

var (
	hqRE   = regexp.MustCompile(`^histogram_quantile\(\s*([0-9.]+)\s*,\s*(.*)\)$`)
	sumRE  = regexp.MustCompile(`^sum\s*(?:by\s*\(([^)]*)\)\s*)?\((.*)\)$`)
	rateRE = regexp.MustCompile(`^rate\((.*)\[([0-9a-z]+)\]\)$`)
	selRE  = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?$`)
	matRE  = regexp.MustCompile(`^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$`)
)

// parse parses q (after substitute).
func parse(q string) (*expr, error) {
	e := &expr{quantile: math.NaN()}
	s := strings.TrimSpace(q)
	if m := hqRE.FindStringSubmatch(s); m != nil {
		e.quantile, _ = strconv.ParseFloat(m[1], 64)
		s = strings.TrimSpace(m[2])
	}
	if m := sumRE.FindStringSubmatch(s); m != nil {
		e.agg = true
		for l := range strings.SplitSeq(m[1], ",") {
			if l = strings.TrimSpace(l); l != "" {
				e.by = append(e.by, l)
			}
		}
		s = strings.TrimSpace(m[2])
	}
	if m := rateRE.FindStringSubmatch(s); m != nil {
		d, err := time.ParseDuration(m[2])
		if err != nil {
			return nil, fmt.Errorf("%s: range %q: %w", q, m[2], err)
		}
		e.rate = d
		s = strings.TrimSpace(m[1])
	}
	m := selRE.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("%s: not in the renderer's PromQL subset", q)
	}
	e.name = m[1]
	if m[2] != "" {
		for part := range strings.SplitSeq(m[2], ",") {
			mm := matRE.FindStringSubmatch(part)
			if mm == nil {
				return nil, fmt.Errorf("%s: matcher %q", q, part)
			}
			mt := matcher{label: mm[1], op: mm[2], value: mm[3]}
			if strings.HasSuffix(mt.op, "~") {
				re, err := regexp.Compile("^(?:" + mt.value + ")$")
				if err != nil {
					return nil, fmt.Errorf("%s: %w", q, err)
				}
				mt.re = re
			}
			e.matchers = append(e.matchers, mt)
		}
	}
	if !math.IsNaN(e.quantile) && (!e.agg || !slices.Contains(e.by, "le")) {
		return nil, fmt.Errorf("%s: histogram_quantile needs sum by (le, ...)", q)
	}
	return e, nil
}

// store is every scrape of a run: one time axis and, per series, a value
// at each scrape (NaN where the series was absent).
type store struct {
	times  []time.Time
	series map[string]*stored
}

type stored struct {
	name   string
	labels map[string]string
	values []float64
}

func newStore() *store { return &store{series: map[string]*stored{}} }

// add appends one scrape.
func (st *store) add(at time.Time, samples []sample) {
	n := len(st.times)
	st.times = append(st.times, at)
	for _, s := range st.series {
		s.values = append(s.values, math.NaN())
	}
	for _, smp := range samples {
		k := smp.key()
		s := st.series[k]
		if s == nil {
			s = &stored{name: smp.name, labels: smp.labels, values: make([]float64, n+1)}
			for i := range n {
				s.values[i] = math.NaN()
			}
			st.series[k] = s
		}
		s.values[n] = smp.value
	}
}

// line is one series of a query's result over the run.
type line struct {
	labels map[string]string
	values []float64
}

// eval evaluates e at every scrape.
func (st *store) eval(e *expr) []line {
	var in []line
	for _, s := range st.series {
		if s.name != e.name || !matches(s.labels, e.matchers) {
			continue
		}
		vals := s.values
		if e.rate > 0 {
			vals = st.rate(s.values, e.rate)
		}
		in = append(in, line{labels: s.labels, values: vals})
	}
	if e.agg {
		in = sumBy(in, e.by, len(st.times))
	}
	if !math.IsNaN(e.quantile) {
		in = quantileOf(e.quantile, in, len(st.times))
	}
	slices.SortFunc(in, func(a, b line) int { return strings.Compare(labelKey(a.labels), labelKey(b.labels)) })
	return in
}

func matches(labels map[string]string, ms []matcher) bool {
	for _, m := range ms {
		if !m.ok(labels[m.label]) {
			return false
		}
	}
	return true
}

// rate is the per-second increase over the range ending at each scrape.
func (st *store) rate(v []float64, rng time.Duration) []float64 {
	out := make([]float64, len(v))
	j := 0
	for i := range v {
		out[i] = math.NaN()
		for j < i && st.times[i].Sub(st.times[j]) > rng {
			j++
		}
		first := -1
		var inc float64
		for k := j; k <= i; k++ {
			if math.IsNaN(v[k]) {
				continue
			}
			if first >= 0 {
				prev := v[last(v, first, k)]
				if v[k] >= prev {
					inc += v[k] - prev
				} else {
					inc += v[k] // a reset: the counter started again from 0
				}
			} else {
				first = k
			}
		}
		if first >= 0 && first < i {
			if span := st.times[i].Sub(st.times[first]).Seconds(); span > 0 {
				out[i] = inc / span
			}
		}
	}
	return out
}

// last is the index of the last non-NaN value of v in [from, before).
func last(v []float64, from, before int) int {
	for k := before - 1; k > from; k-- {
		if !math.IsNaN(v[k]) {
			return k
		}
	}
	return from
}

func sumBy(in []line, by []string, n int) []line {
	groups := map[string]*line{}
	for _, l := range in {
		g := map[string]string{}
		for _, b := range by {
			if v, ok := l.labels[b]; ok {
				g[b] = v
			}
		}
		k := labelKey(g)
		out := groups[k]
		if out == nil {
			out = &line{labels: g, values: make([]float64, n)}
			for i := range out.values {
				out.values[i] = math.NaN()
			}
			groups[k] = out
		}
		for i, v := range l.values {
			if math.IsNaN(v) {
				continue
			}
			if math.IsNaN(out.values[i]) {
				out.values[i] = 0
			}
			out.values[i] += v
		}
	}
	out := make([]line, 0, len(groups))
	for _, g := range groups {
		out = append(out, *g)
	}
	return out
}

// quantileOf is histogram_quantile: buckets grouped by their labels but
// le, linear interpolation inside the bucket holding the rank, the
// highest finite bound when the rank falls in +Inf (as Prometheus does).
func quantileOf(q float64, in []line, n int) []line {
	type bucket struct {
		le     float64
		values []float64
	}
	groups := map[string][]bucket{}
	labels := map[string]map[string]string{}
	for _, l := range in {
		le, err := strconv.ParseFloat(l.labels["le"], 64)
		if err != nil {
			continue
		}
		g := map[string]string{}
		for k, v := range l.labels {
			if k != "le" {
				g[k] = v
			}
		}
		k := labelKey(g)
		groups[k] = append(groups[k], bucket{le, l.values})
		labels[k] = g
	}
	var out []line
	for k, bs := range groups {
		slices.SortFunc(bs, func(a, b bucket) int { return cmp.Compare(a.le, b.le) })
		res := line{labels: labels[k], values: make([]float64, n)}
		for i := range n {
			res.values[i] = math.NaN()
			total := bs[len(bs)-1].values[i]
			if math.IsNaN(total) || total <= 0 || !math.IsInf(bs[len(bs)-1].le, 1) {
				continue
			}
			rank := q * total
			lower, below := 0.0, 0.0
			for bi, b := range bs {
				c := b.values[i]
				if math.IsNaN(c) || c < rank {
					if !math.IsNaN(c) {
						lower, below = b.le, c
					}
					continue
				}
				if math.IsInf(b.le, 1) {
					res.values[i] = bs[max(bi-1, 0)].le
				} else if c == below {
					res.values[i] = b.le
				} else {
					res.values[i] = lower + (b.le-lower)*(rank-below)/(c-below)
				}
				break
			}
		}
		out = append(out, res)
	}
	return out
}

func labelKey(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + l[k] + ",")
	}
	return b.String()
}

// legend fills a Grafana legend format ("{{game}} p99").
func legend(format string, labels map[string]string) string {
	if format == "" {
		return labelKey(labels)
	}
	return regexp.MustCompile(`\{\{\s*([a-zA-Z_]+)\s*\}\}`).ReplaceAllStringFunc(format, func(m string) string {
		return labels[strings.Trim(m, "{} ")]
	})
}
