package tick_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine running: every
// room goroutine must end with its room.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
