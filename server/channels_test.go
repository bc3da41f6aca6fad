package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/tickwire/tickwire/channel"
	"github.com/tickwire/tickwire/client"
	"github.com/tickwire/tickwire/gateway"
	testingv1 "github.com/tickwire/tickwire/proto/tickwire/testing/v1"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/tick"
)

// chanClient is a /ws session (our Go client) that records every channel
// frame it gets, in arrival order.
type chanClient struct {
	c  *client.Conn
	mu sync.Mutex
	// frames: ChannelMessage, Presence and unsolicited ChannelReply
	// envelopes, in order.
	frames []*protocol.Envelope
}

// dialChan opens a session; token (may be "") becomes the player id with
// tokenAuth.
func dialChan(t *testing.T, s *server.Server, eng *client.Engine, token string) *chanClient {
	t.Helper()
	cc := &chanClient{}
	u := servertest.URL(s, true, "/ws")
	if token != "" {
		u += "?token=" + url.QueryEscape(token)
	}
	c, err := client.Dial(ctxT(t), u, client.Options{Engine: eng, OnEnvelope: func(env *protocol.Envelope) {
		switch env.Msg.(type) {
		case *tickwirev1.Envelope_ChannelMessage, *tickwirev1.Envelope_Presence, *tickwirev1.Envelope_ChannelReply:
			cc.mu.Lock()
			cc.frames = append(cc.frames, env)
			cc.mu.Unlock()
		}
	}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	cc.c = c
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Close(ctx)
	})
	return cc
}

func (cc *chanClient) subscribe(t *testing.T, ch, name string) *tickwirev1.ChannelReply {
	t.Helper()
	reply, err := cc.c.Request(ctxT(t), &protocol.Envelope{Msg: &tickwirev1.Envelope_Subscribe{Subscribe: &tickwirev1.Subscribe{Channel: ch, Name: name}}})
	if err != nil || reply.GetChannelReply() == nil {
		t.Fatalf("subscribe %q: %v %v", ch, reply, err)
	}
	return reply.GetChannelReply()
}

func (cc *chanClient) publish(ctx context.Context, ch string, data []byte) error {
	_, err := cc.c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_Publish{Publish: &tickwirev1.Publish{Channel: ch, Data: data}}})
	return err
}

// messages returns the ChannelMessages received on ch.
func (cc *chanClient) messages(ch string) []*tickwirev1.ChannelMessage {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	var out []*tickwirev1.ChannelMessage
	for _, env := range cc.frames {
		if m := env.GetChannelMessage(); m != nil && m.Channel == ch {
			out = append(out, m)
		}
	}
	return out
}

// presence returns "+player" and "-player" for the Presence events on ch.
func (cc *chanClient) presence(ch string) []string {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	var out []string
	for _, env := range cc.frames {
		if p := env.GetPresence(); p != nil && p.Channel == ch {
			sign := "+"
			if p.Left {
				sign = "-"
			}
			out = append(out, sign+p.Member.PlayerId)
		}
	}
	return out
}

func tokenAuth(token string) (string, error) { return token, nil }

func wantCode(t *testing.T, err error, code tickwirev1.ErrorCode) {
	t.Helper()
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("error = %v, want %s", err, protocol.CodeName(code))
	}
}

// TestChannelFanOutOrderedExactlyOnce: 300 subscribers on one channel, 4
// sessions publishing 50 messages each concurrently and the HTTP-side hub
// publishing 50 more: every subscriber gets all 250 exactly once, with the
// same dense seqs in the same order, and each publisher's messages in the
// order it sent them.
func TestChannelFanOutOrderedExactlyOnce(t *testing.T) {
	const subs, pubs, each = 300, 4, 50
	s, hub := startHub(t, server.Options{Authenticate: tokenAuth}, channel.Options{PublishRate: rate.Inf})
	eng, err := client.NewEngine(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	var all []*chanClient
	for i := range subs {
		cc := dialChan(t, s, eng, "sub"+strconv.Itoa(i))
		cc.subscribe(t, "chat:lobby", "")
		all = append(all, cc)
	}
	var wg sync.WaitGroup
	errs := make(chan error, pubs+1)
	for p := range pubs {
		pc := dialChan(t, s, eng, "pub"+strconv.Itoa(p))
		wg.Go(func() {
			for i := range each {
				if err := pc.publish(ctxT(t), "chat:lobby", []byte(strconv.Itoa(i))); err != nil {
					errs <- fmt.Errorf("publisher %d message %d: %w", p, i, err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range each {
			if err := hub.Publish(ctxT(t), "chat:lobby", []byte(strconv.Itoa(i)), "server"); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := (pubs + 1) * each
	servertest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		for i, cc := range all {
			if n := len(cc.messages("chat:lobby")); n < total {
				return fmt.Errorf("subscriber %d has %d of %d messages", i, n, total)
			}
		}
		return nil
	})
	var first []string
	for i, cc := range all {
		ms := cc.messages("chat:lobby")
		if len(ms) != total {
			t.Fatalf("subscriber %d got %d messages, want exactly %d", i, len(ms), total)
		}
		next := map[string]int{}
		var order []string
		for j, m := range ms {
			if m.Seq != uint64(j+1) {
				t.Fatalf("subscriber %d: message %d has seq %d", i, j, m.Seq)
			}
			n, _ := strconv.Atoi(string(m.Data))
			if n != next[m.From] {
				t.Fatalf("subscriber %d: from %q got %d, want %d (out of order or duplicate)", i, m.From, n, next[m.From])
			}
			next[m.From]++
			order = append(order, m.From+"/"+string(m.Data))
		}
		if first == nil {
			first = order
		} else if fmt.Sprint(order) != fmt.Sprint(first) {
			t.Fatalf("subscriber %d saw another order than subscriber 0", i)
		}
	}
	if got := metricValue(t, s, "tickwire_channel_messages_total"); got != float64(total) {
		t.Errorf("tickwire_channel_messages_total = %v, want %d", got, total)
	}
	if got := metricValue(t, s, "tickwire_channel_subscriptions"); got != subs {
		t.Errorf("tickwire_channel_subscriptions = %v, want %d", got, subs)
	}
}

// TestChannelHistoryForLateJoiners: a late subscriber gets the last 50
// messages (the default) oldest first, right after the reply, then live
// ones, without gap or duplicate.
func TestChannelHistoryForLateJoiners(t *testing.T) {
	s, hub := startHub(t, server.Options{}, channel.Options{})
	for i := 1; i <= 60; i++ {
		if err := hub.Publish(ctxT(t), "feed:scores", []byte(strconv.Itoa(i)), "server"); err != nil {
			t.Fatal(err)
		}
	}
	cc := dialChan(t, s, nil, "")
	reply := cc.subscribe(t, "feed:scores", "")
	if reply.History != 50 || reply.LastSeq != 60 || reply.Epoch == 0 {
		t.Fatalf("reply = %v, want history 50, last_seq 60, an epoch", reply)
	}
	if err := hub.Publish(ctxT(t), "feed:scores", []byte("61"), "server"); err != nil {
		t.Fatal(err)
	}
	servertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if n := len(cc.messages("feed:scores")); n != 51 {
			return fmt.Errorf("%d messages", n)
		}
		return nil
	})
	for i, m := range cc.messages("feed:scores") {
		if m.Seq != uint64(11+i) || string(m.Data) != strconv.Itoa(11+i) || m.From != "" {
			t.Fatalf("message %d = seq %d %q from %q, want seq and data %d from the server", i, m.Seq, m.Data, m.From, 11+i)
		}
	}
	if st, _ := hub.Stats("feed:scores"); st.History != 50 || st.Subscribers != 1 {
		t.Errorf("stats = %+v", st)
	}
}

// TestChannelPresence: members on subscribe, joins and leaves (on
// unsubscribe and on a dropped session), one member for two sessions of
// one player.
func TestChannelPresence(t *testing.T) {
	s, hub := startHub(t, server.Options{Authenticate: tokenAuth}, channel.Options{})
	ann := dialChan(t, s, nil, "ann")
	if r := ann.subscribe(t, "chat:room", "Ann"); len(r.Members) != 0 {
		t.Fatalf("first subscriber sees members %v", r.Members)
	}
	bob := dialChan(t, s, nil, "bob")
	r := bob.subscribe(t, "chat:room", "Bob")
	if len(r.Members) != 1 || r.Members[0].PlayerId != "ann" || r.Members[0].Name != "Ann" {
		t.Fatalf("bob sees members %v, want ann", r.Members)
	}
	bob2 := dialChan(t, s, nil, "bob") // a second tab of bob: no new member
	if r := bob2.subscribe(t, "chat:room", "Bob"); len(r.Members) != 2 {
		t.Fatalf("bob's second tab sees members %v, want ann and bob", r.Members)
	}
	cy := dialChan(t, s, nil, "cy")
	cy.subscribe(t, "chat:room", "Cy")
	// bob's first tab unsubscribes: bob stays (second tab); the second
	// tab's session drops: bob leaves. cy unsubscribes.
	if _, err := bob.c.Request(ctxT(t), &protocol.Envelope{Msg: &tickwirev1.Envelope_Unsubscribe{Unsubscribe: &tickwirev1.Unsubscribe{Channel: "chat:room"}}}); err != nil {
		t.Fatal(err)
	}
	_ = bob2.c.Close(ctxT(t))
	want := []string{"+ann", "+bob", "+cy", "-bob"}
	servertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if got := ann.presence("chat:room"); fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("ann saw %v, want %v", got, want)
		}
		// cy's copy of bob's leave may land a moment after ann's.
		if got := cy.presence("chat:room"); fmt.Sprint(got) != fmt.Sprint([]string{"+cy", "-bob"}) {
			return fmt.Errorf("cy saw %v, want [+cy -bob]", got)
		}
		return nil
	})
	if st, _ := hub.Stats("chat:room"); st.Members != 2 || st.Subscribers != 2 {
		t.Errorf("stats = %+v, want 2 members (ann, cy), 2 subscriptions", st)
	}
}

// TestChannelLimits: every bound and policy answers with its typed error,
// is counted, and leaves the other subscribers untouched.
func TestChannelLimits(t *testing.T) {
	s, _ := startHub(t, server.Options{Authenticate: tokenAuth}, channel.Options{
		MaxSubscriptions: 3, MaxMessageBytes: 100, PublishRate: 1, PublishBurst: 2,
	})
	ctx := ctxT(t)
	watcher := dialChan(t, s, nil, "watcher")
	watcher.subscribe(t, "chat:a", "")
	cc := dialChan(t, s, nil, "eve")
	for _, ch := range []string{"chat:a", "chat:b", "feed:c"} {
		cc.subscribe(t, ch, "")
	}
	sub := func(ch string) error {
		_, err := cc.c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_Subscribe{Subscribe: &tickwirev1.Subscribe{Channel: ch}}})
		return err
	}
	wantCode(t, sub("chat:d"), protocol.CodeSubscriptionLimit)
	wantCode(t, sub("chat:a"), protocol.CodeBadRequest) // already subscribed
	wantCode(t, sub("nowhere:x"), protocol.CodeChannelForbidden)
	wantCode(t, sub("bad name!"), protocol.CodeBadRequest)
	wantCode(t, sub("room:r1:chat"), protocol.CodeChannelForbidden) // no seat
	_, err := cc.c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_Unsubscribe{Unsubscribe: &tickwirev1.Unsubscribe{Channel: "chat:zzz"}}})
	wantCode(t, err, protocol.CodeNotSubscribed)

	wantCode(t, cc.publish(ctx, "feed:c", []byte("x")), protocol.CodeChannelForbidden) // server-only
	wantCode(t, cc.publish(ctx, "chat:a", make([]byte, 101)), protocol.CodeMessageTooLarge)
	if err := cc.publish(ctx, "chat:a", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := cc.publish(ctx, "chat:a", []byte("two")); err != nil {
		t.Fatal(err)
	}
	wantCode(t, cc.publish(ctx, "chat:a", []byte("three")), protocol.CodeRateLimited)

	servertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if n := len(watcher.messages("chat:a")); n != 2 {
			return fmt.Errorf("watcher has %d messages", n)
		}
		return nil
	})
	for i, m := range watcher.messages("chat:a") {
		if want := []string{"one", "two"}[i]; string(m.Data) != want || m.From != "eve" {
			t.Errorf("watcher message %d = %q from %q, want %q from eve", i, m.Data, m.From, want)
		}
	}
	for code, want := range map[string]float64{
		"subscription_limit": 1, "bad_request": 2, "channel_forbidden": 3, "not_subscribed": 1, "message_too_large": 1, "rate_limited": 1,
	} {
		if got := metricValue(t, s, "tickwire_channel_refused_total", "code", code); got != want {
			t.Errorf("tickwire_channel_refused_total{code=%q} = %v, want %v", code, got, want)
		}
	}
	if _, err := watcher.c.Ping(ctx); err != nil {
		t.Fatalf("watcher: %v", err)
	}
}

// TestChannelOversizeFrameCloses: a Publish frame over the /ws message cap
// closes that session with 1009 and nobody else notices.
func TestChannelOversizeFrameCloses(t *testing.T) {
	s := start(t, server.Options{MaxMessageBytes: 1024})
	watcher := dialChan(t, s, nil, "")
	watcher.subscribe(t, "chat:a", "")
	c := dialGame(t, s)
	writeEnvelope(t, c, &protocol.Envelope{Msg: &tickwirev1.Envelope_Publish{Publish: &tickwirev1.Publish{Channel: "chat:a", Data: make([]byte, 2048)}}})
	expectClose(t, c, websocket.StatusMessageTooBig, "")
	if len(watcher.messages("chat:a")) != 0 {
		t.Fatal("watcher got the oversize message")
	}
	if _, err := watcher.c.Ping(ctxT(t)); err != nil {
		t.Fatalf("watcher: %v", err)
	}
}

// TestRoomChatSeatedOnly: only players seated in a room subscribe to and
// publish on its chat; leaving the room ends the subscription.
func TestRoomChatSeatedOnly(t *testing.T) {
	reg := tick.NewRegistry()
	tick.RegisterIn(reg, tick.GameInfo{Name: "idle", TickHz: 20, MaxPlayers: 4},
		func() tick.Game[*testingv1.Leaf, *testingv1.Leaf] { return idle{} })
	rooms, err := tick.NewRooms(tick.Options{Registry: reg, Registerer: prometheus.NewRegistry(), Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	s, hub := servertest.StartWithHub(t, server.Options{Authenticate: tokenAuth, Logger: zerolog.Nop(),
		Rooms: &gateway.TickRooms{Rooms: rooms, OpenJoin: true}}, channel.Options{}, func(srv *server.Server) {
		srv.OnShutdown(rooms.Close)
	})
	ctx := ctxT(t)
	ann := dialChan(t, s, nil, "ann")
	joined, err := ann.c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: &tickwirev1.JoinRoom{Game: "idle", Create: true}}})
	if err != nil {
		t.Fatal(err)
	}
	room := joined.GetJoined().RoomId
	chat := channel.RoomChat(room)
	ann.subscribe(t, chat, "Ann")
	out := dialChan(t, s, nil, "outsider")
	_, err = out.c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_Subscribe{Subscribe: &tickwirev1.Subscribe{Channel: chat}}})
	wantCode(t, err, protocol.CodeChannelForbidden)
	wantCode(t, out.publish(ctx, chat, []byte("hi")), protocol.CodeChannelForbidden)
	if err := ann.publish(ctx, chat, []byte("gg")); err != nil {
		t.Fatal(err)
	}
	// Leaving the room ends the chat subscription with an unsolicited reply.
	if err := ann.c.Send(&protocol.Envelope{Msg: &tickwirev1.Envelope_LeaveRoom{LeaveRoom: &tickwirev1.LeaveRoom{RoomId: room}}}); err != nil {
		t.Fatal(err)
	}
	servertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		ann.mu.Lock()
		defer ann.mu.Unlock()
		for _, env := range ann.frames {
			if r := env.GetChannelReply(); r != nil && r.Ended && r.Channel == chat && r.Code == protocol.CodeNotInRoom {
				return nil
			}
		}
		return errors.New("no ended reply for the room chat")
	})
	if got := ann.messages(chat); len(got) != 1 || string(got[0].Data) != "gg" {
		t.Errorf("ann's chat messages = %v", got)
	}
	if st, _ := hub.Stats(chat); st.Subscribers != 0 || st.Members != 0 {
		t.Errorf("room chat after leaving: %+v", st)
	}
}
