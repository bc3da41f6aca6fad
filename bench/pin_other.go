//go:build !linux

package main

import (
	"errors"
	"os/exec"
)

var errNoPinning = errors.New("CPU pinning is Linux-only")

func pinProcess(string, cpuList) error { return errNoPinning }

func pinSelf(cpuList) (func(), error) { return nil, errNoPinning }

func startPinned(cmd *exec.Cmd, l cpuList) error {
	if len(l) > 0 {
		return errNoPinning
	}
	return cmd.Start()
}

func allowedCPUs() cpuList { return nil }

func signalGroup(int, bool) error { return errNoPinning }
