package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// cpuList is a set of CPU numbers as -server-cpus and -bench-cpus take
// them, in taskset's list format: "1", "0,2", "0-3,6".
type cpuList []int

// parseCPUList parses s ("" is the empty list).
func parseCPUList(s string) (cpuList, error) {
	var out cpuList
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("%q: want CPU numbers like 0,2-3", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("%q: bad range %q", s, part)
			}
		}
		if b >= maxCPUs {
			return nil, fmt.Errorf("%q: CPU %d is beyond %d", s, b, maxCPUs-1)
		}
		for c := a; c <= b; c++ {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// maxCPUs bounds a CPU number (the kernel's cpu_set_t holds 1024).
const maxCPUs = 1024

// String is the list in taskset's format, ranges folded.
func (l cpuList) String() string {
	var parts []string
	for i := 0; i < len(l); {
		j := i
		for j+1 < len(l) && l[j+1] == l[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", l[i], l[j]))
		} else {
			parts = append(parts, strconv.Itoa(l[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// overlaps reports whether l and m share a CPU.
func (l cpuList) overlaps(m cpuList) bool {
	for _, c := range l {
		if slices.Contains(m, c) {
			return true
		}
	}
	return false
}
