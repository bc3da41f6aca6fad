package cluster

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tickwire/tickwire/cluster/natstest"
)

func testStore(t *testing.T, c *natstest.Cluster, bucket string) *store {
	t.Helper()
	nc := c.Connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := openStore(ctx, nc, js, storeConfig{Bucket: bucket, Replicas: min(3, c.Len())})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStoreAtomicBatch: a transaction applies all its writes or none, and
// a stale expectation is a conflict.
func TestStoreAtomicBatch(t *testing.T) {
	c := natstest.StartCluster(t, natstest.Options{})
	s := testStore(t, c, "atomic")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := s.commit(ctx, put("a", []byte("1"), 0), put("b", []byte("1"), 0)); err != nil {
		t.Fatal(err)
	}
	a, _ := s.get(ctx, "a")
	b, _ := s.get(ctx, "b")
	if !a.OK || !b.OK || string(a.Value) != "1" {
		t.Fatalf("a=%+v b=%+v", a, b)
	}
	// b expected absent: conflict, and a is not written either.
	_, err := s.commit(ctx, put("a", []byte("2"), a.Rev), put("b", []byte("2"), 0))
	if !errors.Is(err, errConflict) {
		t.Fatalf("stale batch: %v, want errConflict", err)
	}
	if a2, _ := s.get(ctx, "a"); string(a2.Value) != "1" {
		t.Fatalf("a after a refused batch = %q", a2.Value)
	}
	if _, err := s.commit(ctx, del("a", a.Rev), put("b", []byte("2"), b.Rev)); err != nil {
		t.Fatal(err)
	}
	a3, _ := s.get(ctx, "a")
	if a3.OK || a3.Rev == 0 {
		t.Fatalf("deleted a = %+v", a3)
	}
	if _, err := s.commit(ctx, put("a", []byte("3"), 0)); !errors.Is(err, errConflict) {
		t.Fatalf("expecting 0 over a tombstone: %v", err)
	}
	if _, err := s.commit(ctx, put("a", []byte("3"), a3.Rev)); err != nil {
		t.Fatal(err)
	}
}
