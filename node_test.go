package tickwire_test

import (
	"context"
	"flag"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tickwire/tickwire"
	"github.com/tickwire/tickwire/server/servertest"
	"github.com/tickwire/tickwire/tick"
)

func TestMain(m *testing.M) { servertest.VerifyTestMain(m) }

func TestOptionsValidate(t *testing.T) {
	_, err := tickwire.NewNode(context.Background(), tickwire.Options{TLSCertFile: "c.pem", LogLevel: "loud", LogFormat: "xml"})
	if err == nil {
		t.Fatal("NewNode with bad options: no error")
	}
	for _, field := range []string{"TLSCertFile", "LogLevel", "LogFormat"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("error %q does not name %s", err, field)
		}
	}
}

func TestAddFlags(t *testing.T) {
	t.Setenv("TICKWIRE_PUBLISH_SECRET", "from-env")
	var o tickwire.Options
	fs := flag.NewFlagSet("game", flag.ContinueOnError)
	o.AddFlags(fs)
	if err := fs.Parse([]string{"-addr", "127.0.0.1:0", "-origins", "https://a.example, https://b.example,", "-log-format", "json", "-precise-timers"}); err != nil {
		t.Fatal(err)
	}
	if o.Addr != "127.0.0.1:0" || o.LogFormat != "json" || o.LogLevel != "info" || !o.PreciseTimers || o.PublishSecret != "from-env" {
		t.Errorf("options after flags = %+v", o)
	}
	if len(o.Origins) != 2 || o.Origins[1] != "https://b.example" {
		t.Errorf("Origins = %q", o.Origins)
	}
}

// Run serves until its context ends, then shuts down: /healthz answers
// while it runs, the task given to Go is stopped, and Run returns nil.
func TestRunUntilCancelled(t *testing.T) {
	logs := &strings.Builder{}
	node, err := tickwire.NewNode(context.Background(), tickwire.Options{Addr: "127.0.0.1:0", Games: tick.NewRegistry(), LogFormat: "json", LogOutput: &lockedWriter{w: logs}})
	if err != nil {
		t.Fatal(err)
	}
	taskDone := make(chan struct{})
	if err := node.Go(func(ctx context.Context) { <-ctx.Done(); close(taskDone) }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx) }()
	servertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if node.Addr() == "" || strings.HasSuffix(node.Addr(), ":0") {
			return io.ErrNoProgress
		}
		resp, err := http.Get(node.URL() + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
	if err := node.Go(func(context.Context) {}); err != tickwire.ErrStarted {
		t.Errorf("Go after Start = %v, want ErrStarted", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	<-taskDone
}

// A Node that is never started still shuts down cleanly (no goroutine
// outlives it: TestMain checks).
func TestShutdownUnstarted(t *testing.T) {
	node, err := tickwire.NewNode(context.Background(), tickwire.Options{Addr: "127.0.0.1:0", LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// lockedWriter makes a writer safe for the Node's goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
