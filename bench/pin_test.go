package main

import (
	"io"
	"slices"
	"testing"
)

func TestParseCPUList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want cpuList
		str  string
	}{
		{"", nil, ""},
		{"0", cpuList{0}, "0"},
		{"1,0", cpuList{0, 1}, "0-1"},
		{"0-3,6", cpuList{0, 1, 2, 3, 6}, "0-3,6"},
		{" 2 , 2,4-5", cpuList{2, 4, 5}, "2,4-5"},
	} {
		got, err := parseCPUList(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if !slices.Equal(got, tc.want) || got.String() != tc.str {
			t.Errorf("%q: %v (%q), want %v (%q)", tc.in, got, got.String(), tc.want, tc.str)
		}
	}
	for _, bad := range []string{"a", "-1", "3-1", "0,,1", "1-x", "5000"} {
		if _, err := parseCPUList(bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
	if !(cpuList{0, 1}).overlaps(cpuList{1}) || (cpuList{0}).overlaps(cpuList{1}) || (cpuList{}).overlaps(cpuList{0}) {
		t.Error("overlaps")
	}
}

// TestCPUFlags: -server-cpus and -bench-cpus are parsed, checked against
// each other and against the CPUs this process may use.
func TestCPUFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-server-cpus", "x"}, `-server-cpus "x": want CPU numbers`},
		{[]string{"-bench-cpus", "2-1"}, `-bench-cpus "2-1": bad range`},
		{[]string{"-server-cpus", "0", "-bench-cpus", "0"}, "-server-cpus 0 and -bench-cpus 0 overlap"},
		{[]string{"-server-cpus", "0", "-addr", "127.0.0.1:1"}, "-server-cpus: only for a child server"},
		{[]string{"-server-cpus", "1000"}, "-server-cpus 1000: CPU 1000 is not available"},
		{[]string{"-verify", "-scenario", "idle"}, "-verify: only with -scenario arena"},
	} {
		_, err := parseFlags(tc.args, io.Discard)
		if err == nil || !contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
	allowed := allowedCPUs()
	if len(allowed) == 0 {
		t.Skip("this platform does not tell which CPUs the process may use")
	}
	c, err := parseFlags([]string{"-server-cpus", allowed[:1].String()}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.serverCPUs, allowed[:1]) || c.benchCPUs != nil {
		t.Errorf("server %v bench %v", c.serverCPUs, c.benchCPUs)
	}
}
