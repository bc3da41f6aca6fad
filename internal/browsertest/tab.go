package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Tab is one 960×600 page in headless Chromium for a page test, with what
// makes it fail (Problem: uncaught exceptions, console errors, failed
// requests, HTTP errors) recorded for the test's messages.
type Tab struct {
	T    testing.TB
	Name string
	Ctx  context.Context
	// State is a JavaScript expression giving a JSON string that WaitFor
	// prints when it gives up: the page's own summary of itself.
	State string

	mu   sync.Mutex
	errs []string
}

// NewTab opens a tab in browser (a context from New): in its default
// browser context, or, with own, in a browser context of its own (its own
// storage and cookies: another guest, as another browser would be). Every
// tab believes it has the focus, as a tab in its own window would: no blur
// events, keys reach it whichever window is in front.
func NewTab(t testing.TB, browser context.Context, name string, own bool) *Tab {
	t.Helper()
	b := &Tab{T: t, Name: name, Ctx: browser}
	if own {
		ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		if err := chromedp.Do(ctx); err != nil {
			t.Fatalf("%s: new browser context: %v", name, err)
		}
		b.Ctx = ctx
	}
	if err := chromedp.Listen(b.Ctx, b.record); err != nil {
		t.Fatalf("%s: listen: %v", name, err)
	}
	if err := chromedp.Do(b.Ctx, chromedp.EmulateViewport(960, 600)); err != nil {
		t.Fatalf("%s: viewport: %v", name, err)
	}
	if _, err := chromedp.Call(b.Ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatalf("%s: focus emulation: %v", name, err)
	}
	return b
}

func (b *Tab) record(ev any) {
	if e := Problem(ev); e != "" {
		b.mu.Lock()
		b.errs = append(b.errs, e)
		b.mu.Unlock()
	}
}

// PageErrors returns the problems recorded so far.
func (b *Tab) PageErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.errs)
}

// Navigate loads url.
func (b *Tab) Navigate(url string) {
	b.T.Helper()
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(url)); err != nil {
		b.T.Fatalf("%s: navigate %s: %v", b.Name, url, err)
	}
}

// Eval evaluates a JavaScript expression on b's page and decodes its
// value, failing the test if it cannot within 20 s.
func Eval[T any](b *Tab, expr string) T {
	b.T.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.T.Fatalf("%s: evaluate %s: %v (page errors: %v)", b.Name, expr, err, b.PageErrors())
	}
	return v
}

// WaitFor polls a JavaScript boolean expression until it is true, failing
// the test (with b.State and the page errors) after timeout. An evaluation
// that fails (the page is navigating) counts as false.
func (b *Tab) WaitFor(timeout time.Duration, what, expr string) {
	b.T.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(b.Ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			state := "{}"
			if b.State != "" {
				state, _ = chromedp.Run(b.Ctx, chromedp.Evaluate[string](b.State))
			}
			b.T.Fatalf("%s: %s: not within %v (last error %v; page %s; page errors %v)", b.Name, what, timeout, err, state, b.PageErrors())
		}
		time.Sleep(25 * time.Millisecond) // the polling interval
	}
}

// Screenshot writes a PNG of the page to each of paths.
func (b *Tab) Screenshot(paths ...string) {
	b.T.Helper()
	png, err := chromedp.Run(b.Ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.T.Fatalf("%s: screenshot: %v", b.Name, err)
	}
	for _, p := range paths {
		if err := os.WriteFile(p, png, 0o644); err != nil {
			b.T.Fatal(err)
		}
		b.T.Logf("%s: screenshot %s (%d KB)", b.Name, p, len(png)/1024)
	}
}

// ArtifactDir is where a page test keeps its screenshots:
// $TICKWIRE_ARTIFACTS/<test name> when that is set (CI collects it), else a
// temporary directory.
func ArtifactDir(t testing.TB) string {
	d := os.Getenv("TICKWIRE_ARTIFACTS")
	if d == "" {
		return t.TempDir()
	}
	d = filepath.Join(d, t.Name())
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}
