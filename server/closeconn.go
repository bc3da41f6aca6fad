package server

import (
	"net"

	"github.com/lesismal/nbio"
	"github.com/lesismal/nbio/nbhttp"

	"github.com/tickwire/tickwire/internal/nbclose"
)

// closeConn closes a connection from any goroutine. A plain connection on
// nbio's pollers is shut down and left to its poller to close
// (internal/nbclose): closed here, its fd could go to the next accepted
// connection while the poller still held an event of the old socket, and
// that event would close the new one (a reconnect lost in a few thousand
// under churn). TLS connections are closed as they are (their close
// writes an alert through the TLS layer).
func closeConn(c net.Conn) error {
	plain := c
	if hc, ok := plain.(*nbhttp.Conn); ok {
		plain = hc.Conn
	}
	if nbc, ok := plain.(*nbio.Conn); ok {
		nbclose.Close(nbc)
		return nil
	}
	return c.Close()
}
