package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// cpuSet is l as the kernel's affinity mask.
func (l cpuList) cpuSet() unix.CPUSet {
	var s unix.CPUSet
	for _, c := range l {
		s.Set(c)
	}
	return s
}

// pinProcess sets the CPU affinity of every thread of process pid ("self"
// for this one) to l. A thread started later inherits the mask of the
// thread that starts it, so one pass over /proc/PID/task covers the
// process; a second pass catches a thread started during the first.
func pinProcess(pid string, l cpuList) error {
	return setAffinity(pid, l.cpuSet(), l.String())
}

// pinSelf pins this process to l and returns what puts every thread back
// on the CPUs it had (a test's bench run must not leave the test binary
// pinned).
func pinSelf(l cpuList) (restore func(), err error) {
	var old unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return nil, fmt.Errorf("read this process's CPU affinity: %w", err)
	}
	if err := pinProcess("self", l); err != nil {
		return nil, err
	}
	return func() { _ = setAffinity("self", old, "as before") }, nil
}

// setAffinity sets every thread of pid to set (named l in errors).
func setAffinity(pid string, set unix.CPUSet, l string) error {
	for range 2 {
		tids, err := os.ReadDir(filepath.Join("/proc", pid, "task"))
		if err != nil {
			return fmt.Errorf("pin %s to CPUs %s: %w", pid, l, err)
		}
		for _, t := range tids {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			if err := unix.SchedSetaffinity(tid, &set); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("pin %s (thread %d) to CPUs %s: %w", pid, tid, l, err)
			}
		}
	}
	return nil
}

// startPinned starts cmd with every thread of it on the CPUs of l from its
// first instruction: the child inherits the affinity of the thread that
// forks it, so the fork runs on a locked OS thread whose mask is l for the
// moment, and is then put back. A Go child (the demo, the bench's server
// role) so also sizes GOMAXPROCS to l. An empty l just starts cmd.
func startPinned(cmd *exec.Cmd, l cpuList) error {
	if len(l) == 0 {
		return cmd.Start()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var old unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return fmt.Errorf("read this thread's CPU affinity: %w", err)
	}
	set := l.cpuSet()
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("pin the server to CPUs %s: %w", l, err)
	}
	startErr := cmd.Start()
	if err := unix.SchedSetaffinity(0, &old); err != nil {
		return errors.Join(startErr, fmt.Errorf("restore this thread's CPU affinity: %w", err))
	}
	return startErr
}

// allowedCPUs is the CPUs this process may run on (nil if unknown).
func allowedCPUs() cpuList {
	var s unix.CPUSet
	if err := unix.SchedGetaffinity(0, &s); err != nil {
		return nil
	}
	var out cpuList
	for c := range maxCPUs {
		if s.IsSet(c) {
			out = append(out, c)
		}
	}
	return out
}

// signalGroup sends SIGTERM (or SIGKILL) to the process group led by pid
// (a child started with childAttrs, in a group of its own).
func signalGroup(pid int, kill bool) error {
	sig := unix.SIGTERM
	if kill {
		sig = unix.SIGKILL
	}
	return unix.Kill(-pid, sig)
}
