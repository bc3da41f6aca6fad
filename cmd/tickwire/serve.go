package main

import (
	"context"
	"io"

	"github.com/tickwire/tickwire/examples/demo/app"
)

// runServe runs the demo (examples/demo/app) until ctx ends.
func runServe(ctx context.Context, args []string, stderr io.Writer) error {
	return app.RunNamed(ctx, "tickwire serve", args, stderr, nil)
}
