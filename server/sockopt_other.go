//go:build !linux

package server

import "github.com/lesismal/nbio"

// limitUnsent is Linux-only (TCP_NOTSENT_LOWAT); elsewhere the kernel's
// send buffer is left as it is.
func limitUnsent(*nbio.Conn, int) {}
