package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/evanw/esbuild/pkg/api"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/internal/browsertest"
	"github.com/tickwire/tickwire/internal/stategen"
	arenav1 "github.com/tickwire/tickwire/proto/tickwire/arena/v1"
	testingv1 "github.com/tickwire/tickwire/proto/tickwire/testing/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// The conformance test: Go writes a corpus of (state, delta, next state)
// vectors, headless Chromium applies each with the SDK as served at
// /sdk/tickwire.js, and Go compares every result with what its own
// protocol.ApplyDelta produced, byte for byte after deterministic
// re-encoding. The corpus also holds Envelopes (every message, and state
// frames with the receiver's last_input_seq appended as the server sends
// them) and a real arena game's frames for the SDK's Replica.

// vector is one delta to apply. Prev and Delta go to the browser; next is
// what Go's ApplyDelta made of them (prev itself when wantErr).
type vector struct {
	Name    string `json:"name"`
	Schema  string `json:"schema"` // "testing" (testing.v1.State) or "arena" (arena.v1.State)
	Prev    []byte `json:"prev"`
	Delta   []byte `json:"delta"`
	prev    proto.Message
	delta   *tickwirev1.Delta
	next    proto.Message
	wantErr bool
}

// envelopeCase is one encoded Envelope for the browser to decode.
type envelopeCase struct {
	Name  string `json:"name"`
	Bytes []byte `json:"bytes"`
	want  *tickwirev1.Envelope
}

type corpus struct {
	Vectors   []*vector       `json:"vectors"`
	Envelopes []*envelopeCase `json:"envelopes"`
	Replica   struct {
		RoomID string   `json:"roomId"`
		Frames [][]byte `json:"frames"`
	} `json:"replica"`
	replicaStates []*arenav1.State
	replicaTicks  []int
	replicaSeqs   []int
}

type results struct {
	Fatal   string `json:"fatal"`
	Vectors []struct {
		State []byte `json:"state"`
		Error string `json:"error"`
	} `json:"vectors"`
	Envelopes []struct {
		Bytes        []byte `json:"bytes"`
		LastInputSeq string `json:"lastInputSeq"`
		StateFrame   []byte `json:"stateFrame"`
		Error        string `json:"error"`
	} `json:"envelopes"`
	Replica struct {
		States [][]byte `json:"states"`
		Ticks  []int    `json:"ticks"`
		Seqs   []int    `json:"seqs"`
		Error  string   `json:"error"`
	} `json:"replica"`
}

var deterministic = proto.MarshalOptions{Deterministic: true, AllowPartial: true}

func mustMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := deterministic.Marshal(m)
	if err != nil {
		t.Fatalf("marshal %T: %v", m, err)
	}
	return b
}

// exact reports whether a and b are equal to the bit: same deterministic
// encoding (which tells -0.0 from 0.0) and proto.Equal.
func exact(t testing.TB, a, b proto.Message) bool {
	t.Helper()
	return bytes.Equal(mustMarshal(t, a), mustMarshal(t, b)) && proto.Equal(a, b)
}

// sameState reports whether the SDK's state got equals Go's want to the
// bit, NaN payloads aside (see canonicalNaNs), and if not, where they
// first differ. It changes neither.
func sameState(t testing.TB, got, want proto.Message) (bool, string) {
	t.Helper()
	got, want = stategen.MustClone(got), stategen.MustClone(want)
	canonicalNaNs(got.ProtoReflect())
	canonicalNaNs(want.ProtoReflect())
	if exact(t, got, want) {
		return true, ""
	}
	return false, firstDifference(got, want)
}

// addDiff adds the vector that Diff makes from a to b, after checking that
// Go's own ApplyDelta turns a into b with it.
func (c *corpus) addDiff(t testing.TB, name, schema string, a, b proto.Message) {
	t.Helper()
	d, err := protocol.Diff(a, b)
	if err != nil {
		t.Fatalf("%s: Diff: %v", name, err)
	}
	if d == nil {
		d = &tickwirev1.Delta{}
	}
	v := c.addDelta(t, name, schema, a, d, false)
	if !exact(t, v.next, b) {
		t.Fatalf("%s: Go's apply(diff(a, b), a) != b", name)
	}
}

// addDelta adds the vector of d applied to prev; wantErr says whether Go's
// ApplyDelta refuses it (and so must the SDK, leaving the state untouched).
func (c *corpus) addDelta(t testing.TB, name, schema string, prev proto.Message, d *tickwirev1.Delta, wantErr bool) *vector {
	t.Helper()
	next := stategen.MustClone(prev)
	err := protocol.ApplyDelta(next, d)
	if (err != nil) != wantErr {
		t.Fatalf("%s: Go's ApplyDelta error = %v, want error: %v", name, err, wantErr)
	}
	v := &vector{Name: name, Schema: schema, Prev: mustMarshal(t, prev), Delta: mustMarshal(t, d), prev: prev, delta: d, next: next, wantErr: wantErr}
	c.Vectors = append(c.Vectors, v)
	return v
}

func buildCorpus(t testing.TB) *corpus {
	c := &corpus{}
	n := 600
	if testing.Short() {
		n = 150
	}
	g := stategen.New(20260601)
	for i := range n {
		a, b := g.Pair()
		c.addDiff(t, fmt.Sprintf("random pair %d", i), "testing", a, b)
	}
	addEdgeCases(t, c)
	addArena(t, c)
	addEnvelopes(t, c)
	return c
}

// buildPage bundles testdata/conformance/page.ts with every import of the
// SDK (and of the protobuf-es runtime, which the generated testing schema
// imports) left to /sdk/tickwire.js, so the page tests the embedded bundle.
func buildPage(t testing.TB) []byte {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	sdk := api.Plugin{Name: "sdk", Setup: func(b api.PluginBuild) {
		b.OnResolve(api.OnResolveOptions{Filter: `^@bufbuild/protobuf(/codegenv2)?$|/src/index\.js$`},
			func(api.OnResolveArgs) (api.OnResolveResult, error) {
				return api.OnResolveResult{Path: SDKPath, External: true}, nil
			})
	}}
	res := api.Build(api.BuildOptions{
		AbsWorkingDir: dir,
		EntryPoints:   []string{"testdata/conformance/page.ts"},
		Outfile:       "page.js",
		Bundle:        true,
		Format:        api.FormatESModule,
		Target:        api.ES2020,
		Plugins:       []api.Plugin{sdk},
		LogLevel:      api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		t.Fatalf("bundle the conformance page: %s", strings.Join(api.FormatMessages(res.Errors, api.FormatMessagesOptions{}), ""))
	}
	return res.OutputFiles[0].Contents
}

func TestConformanceInChromium(t *testing.T) {
	c := buildCorpus(t)
	corpusJSON, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	page := buildPage(t)
	got := make(chan *results, 1)
	mux := http.NewServeMux()
	mux.Handle("GET "+Prefix, Handler())
	mux.HandleFunc("GET /conformance/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><meta charset="utf-8"><title>conformance</title><link rel="icon" href="data:,"><script type="module" src="/conformance/page.js"></script>`)
	})
	mux.HandleFunc("GET /conformance/page.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write(page)
	})
	mux.HandleFunc("GET /conformance/corpus.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(corpusJSON)
	})
	mux.HandleFunc("POST /conformance/results", func(w http.ResponseWriter, r *http.Request) {
		var res results
		if err := json.NewDecoder(r.Body).Decode(&res); err != nil {
			res.Fatal = "results do not decode: " + err.Error()
		}
		select {
		case got <- &res:
		default:
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	ctx := browsertest.New(t)
	pageErrors := listenPage(t, ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/conformance/")); err != nil {
		t.Fatal(err)
	}
	var res *results
	select {
	case res = <-got:
	case <-time.After(60 * time.Second):
		t.Fatalf("no results from the page after 60 s; page errors: %v", pageErrors())
	}
	if errs := pageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %v", errs)
	}
	if res.Fatal != "" {
		t.Fatalf("the page failed: %s", res.Fatal)
	}
	checkVectors(t, c, res)
	checkEnvelopes(t, c, res)
	checkReplica(t, c, res)
	t.Logf("%d delta vectors, %d envelopes and %d replica frames agree", len(c.Vectors), len(c.Envelopes), len(c.Replica.Frames))
}

func newState(schema string) proto.Message {
	if schema == "arena" {
		return &arenav1.State{}
	}
	return &testingv1.State{}
}

func text(m proto.Message) string {
	return prototext.MarshalOptions{Multiline: true, Indent: "  "}.Format(m)
}

func checkVectors(t *testing.T, c *corpus, res *results) {
	if len(res.Vectors) != len(c.Vectors) {
		t.Fatalf("the page returned %d vector results, want %d", len(res.Vectors), len(c.Vectors))
	}
	for i, v := range c.Vectors {
		r := res.Vectors[i]
		got := newState(v.Schema)
		if err := proto.Unmarshal(r.State, got); err != nil {
			t.Fatalf("vector %d %q: the SDK's state does not decode: %v", i, v.Name, err)
		}
		switch {
		case v.wantErr && r.Error == "":
			t.Fatalf("vector %d %q: the SDK applied a delta Go refuses\ndelta: %s", i, v.Name, text(v.delta))
		case !v.wantErr && r.Error != "":
			t.Fatalf("vector %d %q: the SDK refused the delta: %s\ndelta: %s", i, v.Name, r.Error, text(v.delta))
		}
		if same, where := sameState(t, got, v.next); !same {
			what := "state after the delta"
			if v.wantErr {
				what = "state after a refused delta (must be untouched)"
			}
			t.Fatalf("vector %d %q: the SDK's %s differs from Go's (first at %s)\nprev:\n%s\ndelta:\n%s\nGo:\n%s\nSDK:\n%s",
				i, v.Name, what, where, text(v.prev), text(v.delta), text(v.next), text(got))
		}
	}
}

func checkEnvelopes(t *testing.T, c *corpus, res *results) {
	if len(res.Envelopes) != len(c.Envelopes) {
		t.Fatalf("the page returned %d envelope results, want %d", len(res.Envelopes), len(c.Envelopes))
	}
	for i, e := range c.Envelopes {
		r := res.Envelopes[i]
		if r.Error != "" {
			t.Fatalf("envelope %q: the SDK failed: %s", e.Name, r.Error)
		}
		var got tickwirev1.Envelope
		if err := proto.Unmarshal(r.Bytes, &got); err != nil {
			t.Fatalf("envelope %q: the SDK's encoding does not decode: %v", e.Name, err)
		}
		if !exact(t, &got, e.want) {
			t.Fatalf("envelope %q: the SDK decoded\n%s\nwant\n%s", e.Name, text(&got), text(e.want))
		}
		if st := e.want.GetState(); st != nil {
			if want := fmt.Sprint(st.GetLastInputSeq()); r.LastInputSeq != want {
				t.Fatalf("envelope %q: the SDK's last_input_seq = %s, want %s", e.Name, r.LastInputSeq, want)
			}
			var frame tickwirev1.StateFrame
			if err := proto.Unmarshal(r.StateFrame, &frame); err != nil || !exact(t, &frame, st) {
				t.Fatalf("envelope %q: the SDK's StateFrame = %v (%v), want %v", e.Name, &frame, err, st)
			}
		}
	}
}

func checkReplica(t *testing.T, c *corpus, res *results) {
	r := res.Replica
	if r.Error != "" {
		t.Fatalf("replica: the SDK failed after %d frames: %s", len(r.States), r.Error)
	}
	if len(r.States) != len(c.replicaStates) {
		t.Fatalf("replica: %d states, want %d", len(r.States), len(c.replicaStates))
	}
	for i, want := range c.replicaStates {
		var got arenav1.State
		if err := proto.Unmarshal(r.States[i], &got); err != nil {
			t.Fatalf("replica frame %d: %v", i, err)
		}
		if same, where := sameState(t, &got, want); !same {
			t.Fatalf("replica frame %d (tick %d): the SDK's state differs (first at %s)\n%s\nwant\n%s", i, c.replicaTicks[i], where, text(&got), text(want))
		}
		if r.Ticks[i] != c.replicaTicks[i] || r.Seqs[i] != c.replicaSeqs[i] {
			t.Fatalf("replica frame %d: tick %d seq %d, want tick %d seq %d", i, r.Ticks[i], r.Seqs[i], c.replicaTicks[i], c.replicaSeqs[i])
		}
	}
}
