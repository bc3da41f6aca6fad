package owned

import (
	"sync/atomic"
	"testing"
)

func TestGroup(t *testing.T) {
	var g Group
	var ran atomic.Int32
	release := make(chan struct{})
	if !g.Go(func() { <-release; ran.Add(1) }) {
		t.Fatal("Go on an open group refused")
	}
	if g.Close() {
		t.Fatal("first Close reported already closed")
	}
	if g.Go(func() { ran.Add(1) }) {
		t.Fatal("Go after Close started a goroutine")
	}
	close(release)
	g.Wait()
	if ran.Load() != 1 || !g.Close() || !g.Closed() {
		t.Fatalf("ran %d, closed %v", ran.Load(), g.Closed())
	}
}
