//go:build !unix

package cluster

import "time"

// cpuTime is not measured on this platform: nodes report 0% CPU.
func cpuTime() time.Duration { return 0 }
