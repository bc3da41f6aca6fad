package web

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// listenPage collects what makes a page test fail: uncaught exceptions,
// console errors, failed requests and HTTP error responses. The returned
// func reports them so far.
func listenPage(t testing.TB, ctx context.Context) func() []string {
	t.Helper()
	var mu sync.Mutex
	var errs []string
	if err := chromedp.Listen(ctx, func(ev any) {
		var e string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			e = fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, d.Text)
			if d.Exception != nil {
				e += " " + d.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				e = "console.error: " + strings.Join(args, " ")
			}
		case *network.EventLoadingFailed:
			e = fmt.Sprintf("request failed: %s %s", ev.Type, ev.ErrorText)
		case *network.EventResponseReceived:
			if ev.Response.Status >= 400 {
				e = fmt.Sprintf("HTTP %d for %s", ev.Response.Status, ev.Response.URL)
			}
		}
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
