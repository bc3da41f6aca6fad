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
