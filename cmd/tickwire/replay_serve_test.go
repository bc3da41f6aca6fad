package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/client"
	shooterv1 "github.com/tickwire/tickwire/proto/tickwire/shooter/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls cond every 20 ms until it holds or d has passed.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReplayServe plays the shooter's recorded match to a spectator over
// /ws: it joins game "replay" like a player and receives the recorded
// room's state; the control route seeks and changes the speed.
func TestReplayServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut lockedBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"replay", "-serve", "127.0.0.1:0", shooterLog}, &out, &errOut) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("tickwire replay -serve: %v\n%s", err, errOut.String())
		}
	}()
	served := regexp.MustCompile(`serving the replay at (http://[0-9.:]+): `)
	waitFor(t, 20*time.Second, "the server", func() bool { return served.MatchString(out.String()) })
	base := served.FindStringSubmatch(out.String())[1]

	resp, err := http.Post(base+"/lobby/guest", "application/json", strings.NewReader(`{"name":"spectator"}`))
	if err != nil {
		t.Fatal(err)
	}
	var guest struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&guest); err != nil || guest.Token == "" {
		t.Fatalf("guest: %v %+v", err, guest)
	}
	resp.Body.Close()
	cctx, ccancel := context.WithTimeout(ctx, 20*time.Second)
	defer ccancel()
	c, err := client.Dial(cctx, "ws"+strings.TrimPrefix(base, "http")+"/ws?token="+url.QueryEscape(guest.Token), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if w, err := c.Recv(cctx); err != nil || w.GetWelcome() == nil {
		t.Fatalf("welcome: %v %v", w, err)
	}
	reply, err := c.Request(cctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: &tickwirev1.JoinRoom{Game: replayGame}}})
	if err != nil || reply.GetJoined().GetStateType() != "tickwire.shooter.v1.State" {
		t.Fatalf("join the replay: %v %v", reply, err)
	}
	var st shooterv1.State
	for st.Players["humana"] == nil {
		env, err := c.Recv(cctx)
		if err != nil {
			t.Fatal(err)
		}
		if snap := env.GetState().GetSnapshot(); snap != nil {
			if err := proto.Unmarshal(snap, &st); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(st.Players) != 6 || st.Players["humanb"] == nil {
		t.Fatalf("the spectator sees players %v, want the recording's two humans and four bots", st.Players)
	}

	control := func(method, query string) (int, replayStatus) {
		t.Helper()
		req, _ := http.NewRequestWithContext(cctx, method, base+replayControlPath+query, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var s replayStatus
		_ = json.NewDecoder(resp.Body).Decode(&s)
		return resp.StatusCode, s
	}
	if code, s := control("GET", ""); code != 200 || s.Ticks != 1200 || s.Speed != 1 {
		t.Fatalf("status %d %+v", code, s)
	}
	if code, _ := control("POST", "?seek=600&speed=0"); code != 200 {
		t.Fatalf("seek: %d", code)
	}
	waitFor(t, 30*time.Second, "the seek", func() bool { _, s := control("GET", ""); return s.Tick == 600 && s.Speed == 0 })
	time.Sleep(100 * time.Millisecond) // paused: six ticks of the room later, still at 600
	if _, s := control("GET", ""); s.Tick != 600 {
		t.Fatalf("paused at 600, now at %d", s.Tick)
	}
	for _, q := range []string{"?seek=5000", "?speed=-1", "?speed=x"} {
		if code, _ := control("POST", q); code != http.StatusBadRequest {
			t.Errorf("POST %s = %d, want 400", q, code)
		}
	}
}
