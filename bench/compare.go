package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

// compareUsage is printed by `go run ./bench compare -help`.
const compareUsage = `Usage: go run ./bench compare [-strict] a.json b.json

Prints two bench reports (-json files) side by side: every numeric key, in
the order of the reports, with the ratio b/a. Arrays (the timeline, the
latency distribution, capacity steps) and the server, machine and tickwire
blocks are left out; the header names both runs.

Flags:
`

// compareInfoKeys are the report's blocks that describe a run rather than
// measure it: shown in the header, not compared.
var compareInfoKeys = map[string]bool{"server": true, "machine": true, "tickwire": true}

// compareLoadKeys are the keys that say what load a run put on its server.
// Reports that differ in them are compared with a note, or refused with
// -strict.
var compareLoadKeys = []string{"clients", "rooms", "tick_hz", "input_hz"}

// reportFile is one side of a comparison: the report's numeric values
// flattened to dotted keys, in the order the file has them.
type reportFile struct {
	path   string
	keys   []string
	values map[string]*float64 // nil: the report says null
	text   map[string]string   // string values, for the header
}

// compareMain is `go run ./bench compare a.json b.json`.
func compareMain(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, compareUsage)
		fs.PrintDefaults()
	}
	strict := fs.Bool("strict", false, "fail when the runs differ in clients, rooms, tick_hz or input_hz")
	// Flags may come before or after the files (they take no values).
	var flags, files []string
	for _, arg := range args {
		if strings.HasPrefix(arg, "-") && len(arg) > 1 {
			flags = append(flags, arg)
		} else {
			files = append(files, arg)
		}
	}
	if err := fs.Parse(flags); err != nil {
		return err
	}
	if len(files) != 2 {
		fs.Usage()
		return fmt.Errorf("compare: want two report files (a.json b.json), got %d", len(files))
	}
	a, err := readReportFile(files[0])
	if err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	b, err := readReportFile(files[1])
	if err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	diffs := loadDiffs(a, b)
	if *strict && len(diffs) > 0 {
		return fmt.Errorf("compare: the runs are not at the same load (-strict): %s", strings.Join(diffs, "; "))
	}
	if n := printComparison(stdout, a, b, diffs); n == 0 {
		return errors.New("compare: the reports have no numeric key in common")
	}
	return nil
}

// readReportFile reads and flattens one bench report.
func readReportFile(path string) (*reportFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	r, err := flattenReport(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r.path = path
	return r, nil
}

// flattenReport turns a report's JSON into dotted numeric keys, keeping
// the document's order, and checks that it is a bench report.
func flattenReport(data []byte) (*reportFile, error) {
	r := &reportFile{values: map[string]*float64{}, text: map[string]string{}}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a bench report: the JSON is not an object")
	}
	if err := r.object(dec, ""); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the report")
	}
	for _, k := range []string{"clients", "latency_ms.p99", "server_cpu_pct"} {
		if _, ok := r.values[k]; !ok {
			return nil, fmt.Errorf("not a bench report: no %q key (write one with go run ./bench -json FILE)", k)
		}
	}
	if r.text["scenario"] == "" {
		return nil, errors.New(`not a bench report: no "scenario" key (write one with go run ./bench -json FILE)`)
	}
	return r, nil
}

// object reads the members of an object whose '{' was read, under prefix.
func (r *reportFile) object(dec *json.Decoder, prefix string) error {
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		if prefix == "" && compareInfoKeys[name] {
			if err := r.info(dec, name); err != nil {
				return err
			}
			continue
		}
		if err := r.value(dec, key); err != nil {
			return err
		}
	}
	_, err := dec.Token() // '}'
	return err
}

// value reads one value under key.
func (r *reportFile) value(dec *json.Decoder, key string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		r.add(key, &f)
	case nil:
		r.add(key, nil)
	case string:
		r.text[key] = v
	case bool:
		r.text[key] = strconv.FormatBool(v)
	case json.Delim:
		if v == '{' {
			return r.object(dec, key)
		}
		return skipRest(dec) // an array: not compared
	}
	return nil
}

func (r *reportFile) add(key string, v *float64) {
	if _, ok := r.values[key]; !ok {
		r.keys = append(r.keys, key)
	}
	r.values[key] = v
}

// info keeps the string and number members of a descriptive block (server,
// machine, tickwire) as text for the header.
func (r *reportFile) info(dec *json.Decoder, name string) error {
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return err
	}
	for k, v := range m {
		switch v := v.(type) {
		case string:
			r.text[name+"."+k] = v
		case json.Number:
			r.text[name+"."+k] = v.String()
		case bool:
			r.text[name+"."+k] = strconv.FormatBool(v)
		}
	}
	return nil
}

// skipRest skips the rest of an array or object whose opening was read.
func skipRest(dec *json.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '[', '{':
				depth++
			default:
				depth--
			}
		}
	}
	return nil
}

// loadDiffs lists the load parameters (and the scenario) that differ.
func loadDiffs(a, b *reportFile) []string {
	var out []string
	if a.text["scenario"] != b.text["scenario"] {
		out = append(out, fmt.Sprintf("scenario %s vs %s", a.text["scenario"], b.text["scenario"]))
	}
	for _, k := range compareLoadKeys {
		va, vb := a.values[k], b.values[k]
		if (va == nil) != (vb == nil) || va != nil && *va != *vb {
			out = append(out, fmt.Sprintf("%s %s vs %s", k, fmtValue(va, a.has(k)), fmtValue(vb, b.has(k))))
		}
	}
	return out
}

func (r *reportFile) has(k string) bool { _, ok := r.values[k]; return ok }

// compareLabels names the keys people look for first.
var compareLabels = map[string]string{
	"latency_ms.p99":                   "input-to-state p99 (ms)",
	"server_cpu_pct":                   "server CPU (% of a core)",
	"server_cpu_us_per_client_s":       "server CPU per player (µs/s)",
	"server_cpu_quiet_us_per_client_s": "the same, quiet seconds only",
	"server_rss_mb":                    "server RSS (MB)",
	"server_rss_per_conn_kb":           "server RSS per connection (KB)",
	"bytes_per_client_s":               "bytes per client per s",
	"jitter_ms.p99":                    "tick start jitter p99 (ms)",
	"failed":                           "failed clients",
}

// printComparison writes the header and the table; it returns the number
// of keys both reports have.
func printComparison(w io.Writer, a, b *reportFile, diffs []string) int {
	for i, r := range []*reportFile{a, b} {
		name := string(rune('a' + i))
		fmt.Fprintf(w, "%s: %s: %s, %s clients, %s rooms, %s Hz; server %s; started %s; tickwire %s\n",
			name, r.path, r.text["scenario"], fmtValue(r.values["clients"], r.has("clients")), fmtValue(r.values["rooms"], r.has("rooms")),
			fmtValue(r.values["tick_hz"], r.has("tick_hz")), orDash(r.text["server.kind"]), orDash(r.text["started"]), orDash(truncate(r.text["tickwire.commit"], 12)))
		if c := r.text["command"]; c != "" {
			fmt.Fprintf(w, "   %s\n", c)
		}
	}
	if len(diffs) > 0 {
		fmt.Fprintf(w, "note: the runs differ: %s\n", strings.Join(diffs, "; "))
	}
	fmt.Fprintln(w)
	keys := append([]string(nil), a.keys...)
	for _, k := range b.keys {
		if !a.has(k) {
			keys = append(keys, k)
		}
	}
	rows := [][]string{{"key", "a", "b", "b/a", ""}}
	common := 0
	for _, k := range keys {
		inA, inB := a.has(k), b.has(k)
		if inA && inB {
			common++
		}
		rows = append(rows, []string{k, fmtValue(a.values[k], inA), fmtValue(b.values[k], inB), ratio(a.values[k], b.values[k]), compareLabels[k]})
	}
	writeTable(w, rows)
	return common
}

// writeTable writes rows as columns two spaces apart: the first (the key)
// and the last (a label) left-aligned, the numbers between right-aligned.
func writeTable(w io.Writer, rows [][]string) {
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var line strings.Builder
	for _, row := range rows {
		line.Reset()
		for i, c := range row {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			switch {
			case i == 0:
				line.WriteString(c + pad)
			case i == len(row)-1:
				if c != "" {
					line.WriteString("  " + c)
				}
			default:
				line.WriteString("  " + pad + c)
			}
		}
		fmt.Fprintln(w, line.String())
	}
}

// fmtValue formats a value: "null" when the report says null, "—" when it
// lacks the key.
func fmtValue(v *float64, present bool) string {
	switch {
	case !present:
		return "—"
	case v == nil:
		return "null"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// ratio formats b/a: "=" for two zeros, "—" when it has no meaning.
func ratio(a, b *float64) string {
	switch {
	case a == nil || b == nil:
		return "—"
	case *a == 0 && *b == 0:
		return "="
	case *a == 0:
		return "—"
	}
	return strconv.FormatFloat(*b / *a, 'f', 3, 64)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// floorKeys are the lines of the arena-against-floor table of a -floor run.
var floorKeys = []string{
	"server_cpu_us_per_client_s", "server_cpu_quiet_us_per_client_s", "server_cpu_pct", "server_rss_mb", "bench_cpu_pct", "other_cpu_pct",
	"latency_ms.p50", "latency_ms.p99", "latency_ms.p999", "latency_ms.max", "rtt_ms.p50", "rtt_ms.p99",
	"tick_ms.p99", "jitter_ms.p99", "bytes_in_per_client_s", "bytes_out_per_client_s", "frames_per_client_s",
	"input_msg_bytes", "state_msg_bytes", "failed", "inputs_lost",
}

// printFloorComparison writes the run of a -floor invocation against its
// floor: the keys that matter, and the ratio the target is about.
func printFloorComparison(w io.Writer, rep *Report) {
	flat := func(r *Report) *reportFile {
		c := *r
		c.Floor, c.ServerCPUVsFloor, c.Timeline, c.LatencyPercentiles = nil, nil, nil, nil
		b, err := json.Marshal(&c)
		if err != nil {
			return &reportFile{values: map[string]*float64{}}
		}
		f, err := flattenReport(b)
		if err != nil {
			return &reportFile{values: map[string]*float64{}}
		}
		return f
	}
	a, f := flat(rep), flat(rep.Floor)
	rows := [][]string{{"key", rep.Scenario, "floor", rep.Scenario + "/floor", ""}}
	for _, k := range floorKeys {
		rows = append(rows, []string{k, fmtValue(a.values[k], a.has(k)), fmtValue(f.values[k], f.has(k)), ratio(f.values[k], a.values[k]), compareLabels[k]})
	}
	writeTable(w, rows)
	if rep.ServerCPUVsFloor != nil && rep.ServerCPUUsPerClientS != nil && rep.Floor.ServerCPUUsPerClientS != nil {
		fmt.Fprintf(w, "server CPU per player: %s %.1f µs/s, floor %.1f µs/s: %.2f× the floor (target ≤ 1.2×)\n",
			rep.Scenario, *rep.ServerCPUUsPerClientS, *rep.Floor.ServerCPUUsPerClientS, *rep.ServerCPUVsFloor)
	}
	if q := rep.ServerCPUVsFloorQuiet; q != nil {
		fmt.Fprintf(w, "over the seconds other processes left alone (%d and %d of them): %.2f× the floor\n", rep.quietCPUSeconds(), rep.Floor.quietCPUSeconds(), *q)
	}
}
