package cluster

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/cluster/natstest"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// subscriber is one Go client subscribed to a channel on one node.
type subscriber struct {
	t    *testing.T
	node string
	c    *client.Conn
}

func subscribe(t *testing.T, eng *client.Engine, tn *testNode, name, ch string) *subscriber {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	g := tn.guest(name)
	u, _ := url.Parse(tn.url())
	c, err := client.Dial(ctx, "ws://"+u.Host+"/ws?token="+url.QueryEscape(g.Token), client.Options{Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	if _, err := c.Recv(ctx); err != nil { // Welcome
		t.Fatal(err)
	}
	if _, err := c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_Subscribe{Subscribe: &tickwirev1.Subscribe{Channel: ch, Name: name}}}); err != nil {
		t.Fatal(err)
	}
	return &subscriber{t: t, node: tn.name, c: c}
}

// collect reads until a message with data stop arrives and returns the
// data of the messages before it and the presence changes seen.
func (s *subscriber) collect(stop string) (msgs []string, presence []string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		env, err := s.c.Recv(ctx)
		if err != nil {
			s.t.Fatalf("subscriber on %s waiting for %q (got %q, %q): %v", s.node, stop, msgs, presence, err)
		}
		switch {
		case env.GetChannelMessage() != nil:
			d := string(env.GetChannelMessage().Data)
			if d == stop {
				return msgs, presence
			}
			msgs = append(msgs, d)
		case env.GetPresence() != nil:
			p := env.GetPresence()
			what := "+"
			if p.Left {
				what = "-"
			}
			presence = append(presence, what+p.Member.GetName())
		}
	}
}

func (s *subscriber) publish(ch, data string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_Publish{Publish: &tickwirev1.Publish{Channel: ch, Data: []byte(data)}}}); err != nil {
		s.t.Fatal(err)
	}
}

// TestChannelsAcrossNodes: a publish on any node, over /ws or POST
// /publish, reaches the channel's subscribers on all three nodes once
// each, in the publisher's order; presence spans the nodes, and the
// members of a node that dies leave.
func TestChannelsAcrossNodes(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{})
	nodes := startNodes(t, c, 3, nodeConfig{})
	eng := testEngine(t)
	const ch = "chat:lobby"
	var subs []*subscriber
	for i, tn := range nodes {
		subs = append(subs, subscribe(t, eng, tn, fmt.Sprintf("p%d", i+1), ch))
	}
	// Over /ws on node1, three messages in order; then over HTTP on node2.
	for i := range 3 {
		subs[0].publish(ch, fmt.Sprintf("ws-%d", i))
	}
	req, _ := http.NewRequest("POST", nodes[1].url()+"/publish", strings.NewReader(`{"channel":"`+ch+`","data":"http"}`))
	req.Header.Set("Authorization", "Bearer "+publishSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /publish on %s: %d", nodes[1].name, resp.StatusCode)
	}
	subs[2].publish(ch, "end") // a marker: anything duplicated would come before it
	for i, s := range subs {
		msgs, presence := s.collect("end")
		if want := "ws-0 ws-1 ws-2 http"; strings.Join(msgs, " ") != want {
			t.Errorf("subscriber on %s got %q, want %q once each", s.node, msgs, want)
		}
		// Each sees itself and the later subscribers join, from whatever node.
		var want []string
		for j := i; j < len(subs); j++ {
			want = append(want, fmt.Sprintf("+p%d", j+1))
		}
		if strings.Join(presence, " ") != strings.Join(want, " ") {
			t.Errorf("presence on %s: %q, want %q", s.node, presence, want)
		}
	}
	// node3 dies: the others see its member leave, once.
	nodes[2].kill()
	for _, s := range subs[:2] {
		if got := s.nextPresence(); got != "-p3" {
			t.Errorf("presence on %s after node3 died: %q, want -p3", s.node, got)
		}
	}
	subs[0].publish(ch, "after")
	for _, s := range subs[:2] {
		if msgs, presence := s.collect("after"); len(msgs)+len(presence) != 0 {
			t.Errorf("on %s after the leave: %q %q", s.node, msgs, presence)
		}
	}
}

// nextPresence reads until a presence change arrives.
func (s *subscriber) nextPresence() string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		env, err := s.c.Recv(ctx)
		if err != nil {
			s.t.Fatalf("subscriber on %s waiting for presence: %v", s.node, err)
		}
		if p := env.GetPresence(); p != nil {
			if p.Left {
				return "-" + p.Member.GetName()
			}
			return "+" + p.Member.GetName()
		}
	}
}
