package server

import (
	"github.com/lesismal/nbio"
	"golang.org/x/sys/unix"
)

// limitUnsent sets TCP_NOTSENT_LOWAT: the kernel takes no more writes while
// n bytes wait unsent, so the rest waits in nbio's buffer, where the
// session's flow control counts it (Options.KernelUnsentBytes).
func limitUnsent(c *nbio.Conn, n int) {
	if n <= 0 {
		return
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NOTSENT_LOWAT, n)
	})
}
