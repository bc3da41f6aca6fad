package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/channel"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
)

// TestPublishHTTP drives POST /publish with net/http as an independent
// client: good requests (JSON string, base64, protobuf, a room's chat)
// reach a WebSocket subscriber byte for byte; bad tokens, oversize and
// malformed bodies get their status and JSON error, are counted, and
// publish nothing.
func TestPublishHTTP(t *testing.T) {
	const secret = "s3cret-for-tests"
	s, _ := startHub(t, server.Options{PublishSecret: secret}, channel.Options{MaxMessageBytes: 1000})
	sub := dialChan(t, s, nil, "")
	sub.subscribe(t, "feed:scores", "")
	endpoint := servertest.URL(s, false, "/publish")

	post := func(token, ctype string, body []byte) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctxT(t), http.MethodPost, endpoint, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("body %q: %v", b, err)
		}
		return resp.StatusCode, out
	}
	pb, _ := proto.Marshal(&tickwirev1.Publish{Channel: "feed:scores", Data: []byte{0, 1, 2, 255}})
	good := []struct {
		ctype, body, want string
	}{
		{"application/json", `{"channel":"feed:scores","data":"{\"home\":2,\"away\":1}"}`, `{"home":2,"away":1}`},
		{"", `{"channel":"feed:scores","data":"héllo"}`, "héllo"},
		{"application/json; charset=utf-8", `{"channel":"feed:scores","data_base64":"AAEC/w=="}`, "\x00\x01\x02\xff"},
		{"application/x-protobuf", string(pb), "\x00\x01\x02\xff"},
	}
	for _, g := range good {
		if status, body := post(secret, g.ctype, []byte(g.body)); status != 200 || body["channel"] != "feed:scores" {
			t.Fatalf("POST %s = %d %v", g.body, status, body)
		}
	}
	bad := []struct {
		name, token, ctype, body string
		status                   int
		code                     string
	}{
		{"no token", "", "", `{"channel":"feed:scores","data":"x"}`, 401, "unauthenticated"},
		{"bad token", "guess", "", `{"channel":"feed:scores","data":"x"}`, 401, "unauthenticated"},
		{"oversize body", secret, "", `{"channel":"feed:scores","data":"` + strings.Repeat("x", 10_000) + `"}`, 413, "message_too_large"},
		{"oversize data", secret, "", `{"channel":"feed:scores","data":"` + strings.Repeat("x", 1001) + `"}`, 413, "message_too_large"},
		{"not JSON", secret, "", `{"channel":`, 400, "bad_request"},
		{"unknown field", secret, "", `{"channel":"feed:scores","data":"x","extra":1}`, 400, "bad_request"},
		{"no data", secret, "", `{"channel":"feed:scores"}`, 400, "bad_request"},
		{"both data", secret, "", `{"channel":"feed:scores","data":"x","data_base64":"eA=="}`, 400, "bad_request"},
		{"bad base64", secret, "", `{"channel":"feed:scores","data_base64":"!!"}`, 400, "bad_request"},
		{"bad name", secret, "", `{"channel":"feed scores","data":"x"}`, 400, "bad_request"},
		{"no rule", secret, "", `{"channel":"other:x","data":"x"}`, 403, "channel_forbidden"},
		{"bad protobuf", secret, "application/x-protobuf", "\xff\xff\xff", 400, "bad_request"},
		{"bad type", secret, "text/plain", "hello", 415, "bad_request"},
	}
	for _, b := range bad {
		status, body := post(b.token, b.ctype, []byte(b.body))
		e, _ := body["error"].(map[string]any)
		if status != b.status || e["code"] != b.code || e["message"] == "" {
			t.Errorf("%s: %d %v, want %d %s", b.name, status, body, b.status, b.code)
		}
	}
	resp, err := http.Get(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /publish = %d", resp.StatusCode)
	}

	servertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if n := len(sub.messages("feed:scores")); n != len(good) {
			return fmt.Errorf("subscriber has %d messages, want %d", n, len(good))
		}
		return nil
	})
	for i, m := range sub.messages("feed:scores") {
		if string(m.Data) != good[i].want || m.From != "" {
			t.Errorf("message %d = %q from %q, want %q from the server", i, m.Data, m.From, good[i].want)
		}
	}
	for status, want := range map[string]float64{"200": 4, "401": 2, "413": 2, "400": 7, "403": 1, "415": 1, "405": 1} {
		if got := metricValue(t, s, "tickwire_publish_requests_total", "status", status); got != want {
			t.Errorf("tickwire_publish_requests_total{status=%s} = %v, want %v", status, got, want)
		}
	}
	if got := metricValue(t, s, "tickwire_channel_published_total", "source", "http"); got != 4 {
		t.Errorf("tickwire_channel_published_total{source=http} = %v, want 4", got)
	}
}

// TestPublishHTTPDisabled: without a secret the API refuses everything.
func TestPublishHTTPDisabled(t *testing.T) {
	s := start(t, server.Options{})
	resp, err := http.Post(servertest.URL(s, false, "/publish"), "application/json", strings.NewReader(`{"channel":"feed:x","data":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "disabled") {
		t.Fatalf("POST /publish without a secret = %d %s", resp.StatusCode, b)
	}
}
