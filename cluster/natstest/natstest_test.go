package natstest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestClusterReplicatesAndSurvivesAServer: an R3 key-value bucket takes a
// write, loses one server of three, and still reads and writes.
func TestClusterReplicatesAndSurvivesAServer(t *testing.T) {
	c := StartCluster(t, Options{})
	if _, err := nats.Connect(c.URL(0)); err == nil {
		t.Fatal("connected without the token")
	}
	nc := c.Connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "t", Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.PutString(ctx, "k", "v1"); err != nil {
		t.Fatal(err)
	}
	c.Shutdown(0)
	// The stream may need a new leader: each attempt gets its own short
	// deadline, or one hung request would eat the whole test's.
	deadline := time.Now().Add(40 * time.Second)
	for {
		actx, acancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := kv.PutString(actx, "k", "v2")
		acancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("put after losing a server: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	e, err := kv.Get(ctx, "k")
	if err != nil || string(e.Value()) != "v2" {
		t.Fatalf("get = %v, %v", e, err)
	}
}

// TestProxyCutHealLatency: a client behind a Proxy gets answers; a Cut
// silences it without closing anything; after Heal it reconnects through
// the proxy and is answered again; SetLatency adds to every round trip.
func TestProxyCutHealLatency(t *testing.T) {
	c := StartCluster(t, Options{Servers: 1})
	p := StartProxy(t, c.URL(0))
	echo := c.Connect(t)
	if _, err := echo.Subscribe("echo", func(m *nats.Msg) { _ = m.Respond(m.Data) }); err != nil {
		t.Fatal(err)
	}
	if err := echo.Flush(); err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(p.URL(), nats.Token(c.Token), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	rtt := func(timeout time.Duration) (time.Duration, error) {
		start := time.Now()
		_, err := nc.Request("echo", []byte("hi"), timeout)
		return time.Since(start), err
	}
	if _, err := rtt(2 * time.Second); err != nil {
		t.Fatalf("request through the proxy: %v", err)
	}
	p.Cut()
	if _, err := rtt(300 * time.Millisecond); err == nil {
		t.Fatal("a request was answered through a cut proxy")
	}
	if !nc.IsConnected() {
		t.Fatal("the cut closed the client's connection; a partition leaves it silent")
	}
	p.Heal()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := rtt(500 * time.Millisecond); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("no answer 10 s after the heal: %v", err)
		}
	}
	p.SetLatency(40 * time.Millisecond)
	d, err := rtt(2 * time.Second)
	if err != nil || d < 80*time.Millisecond {
		t.Fatalf("round trip with 40 ms each way: %v, %v; want >= 80 ms", d, err)
	}
}
