//go:build !linux

package main

import "syscall"

// childAttrs is Linux-only; elsewhere the child shares the bench's process
// group (and the bench cannot measure it: /proc is Linux's).
func childAttrs() *syscall.SysProcAttr { return nil }

func raiseFDLimit() uint64 { return 0 }

func fdLimit() uint64 { return 0 }
