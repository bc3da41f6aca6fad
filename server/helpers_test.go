package server_test

import (
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/tickwire/tickwire/server"
)

// metricValue sums a counter or gauge from the server's registry.
func metricValue(t *testing.T, s *server.Server, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := s.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if !hasLabels(m, labels) {
				continue
			}
			if g := m.GetGauge(); g != nil {
				sum += g.GetValue()
			}
			if c := m.GetCounter(); c != nil {
				sum += c.GetValue()
			}
		}
	}
	return sum
}

func hasLabels(m *dto.Metric, kv []string) bool {
	for i := 0; i+1 < len(kv); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			if l.GetName() == kv[i] && strings.EqualFold(l.GetValue(), kv[i+1]) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}
