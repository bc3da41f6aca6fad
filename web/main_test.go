package web

import (
	"testing"

	"github.com/tickwire/tickwire/server/servertest"
)

func TestMain(m *testing.M) { servertest.VerifyTestMain(m) }
