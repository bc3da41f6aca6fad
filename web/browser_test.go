package web

import (
	"context"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tickwire/tickwire/internal/browsertest"
)

// listenPage collects what makes a page test fail: uncaught exceptions,
// console errors, failed requests and HTTP error responses. The returned
// func reports them so far.
func listenPage(t testing.TB, ctx context.Context) func() []string {
	t.Helper()
	var mu sync.Mutex
	var errs []string
	if err := chromedp.Listen(ctx, func(ev any) {
		e := browsertest.Problem(ev)
		if e != "" {
			mu.Lock()
			errs = append(errs, e)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("listen to the page: %v", err)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), errs...)
	}
}
