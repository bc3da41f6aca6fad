// Package browsertest runs real headless Chromium for tests of Tickwire's
// pages and browser SDK. It needs Debian's chromium package (the README's
// test command installs it); without it tests fail with the install hint.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ChromiumPath finds the browser: $CHROMIUM, else chromium on PATH.
func ChromiumPath() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// New starts a headless Chromium for the test and returns a chromedp
// context for one tab; the browser stops when the test ends.
func New(t testing.TB) context.Context {
	t.Helper()
	path, err := ChromiumPath()
	if err != nil {
		t.Fatalf("headless Chromium not found (apt-get install -y chromium, or set CHROMIUM): %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// WaitFor polls a JavaScript boolean expression on the page until it is
// true or timeout passes.
func WaitFor(t testing.TB, ctx context.Context, timeout time.Duration, expr string) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := chromedp.Run(tctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		t.Fatalf("waiting for %s: %v", expr, err)
	}
}

// Problem describes a page event that should fail a page test: an uncaught
// exception, a console error, a failed request (not one the page cancelled
// by navigating away) or an HTTP error response. It returns "" for every
// other event. Use it in a chromedp.Listen callback.
func Problem(ev any) string {
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		e := fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, d.Text)
		if d.Exception != nil {
			e += " " + d.Exception.Description
		}
		return e
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			return "console.error: " + strings.Join(args, " ")
		}
	case *network.EventLoadingFailed:
		if !ev.Canceled {
			return fmt.Sprintf("request failed: %s %s", ev.Type, ev.ErrorText)
		}
	case *network.EventResponseReceived:
		if ev.Response.Status >= 400 {
			return fmt.Sprintf("HTTP %d for %s", ev.Response.Status, ev.Response.URL)
		}
	}
	return ""
}
