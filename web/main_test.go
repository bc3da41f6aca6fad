package web

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/tickwire/tickwire/server"
)

func TestMain(m *testing.M) {
	server.QuietNBIO()
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/lesismal/nbio/timer.(*Timer).loop"),
		goleak.IgnoreTopFunction("github.com/lesismal/nbio/taskpool.New.func3"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}
