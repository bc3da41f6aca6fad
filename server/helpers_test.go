package server_test

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

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

type rawFrame struct {
	opcode  byte
	payload []byte
}

func (f rawFrame) code() int {
	if len(f.payload) < 2 {
		return 0
	}
	return int(f.payload[0])<<8 | int(f.payload[1])
}

func (f rawFrame) reason() string {
	if len(f.payload) < 2 {
		return ""
	}
	return string(f.payload[2:])
}

// rawSilentPeer performs a WebSocket handshake over a bare TCP connection,
// then reads frames until the server closes the connection, never writing
// anything back. It returns every frame the server sent.
func rawSilentPeer(t *testing.T, addr, path string) []rawFrame {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	var frames []rawFrame
	for {
		var hdr [2]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return frames
		}
		n := int(hdr[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			_, _ = io.ReadFull(br, b[:])
			n = int(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			_, _ = io.ReadFull(br, b[:])
			n = int(binary.BigEndian.Uint64(b[:]))
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(br, p); err != nil {
			return frames
		}
		frames = append(frames, rawFrame{opcode: hdr[0] & 0x0f, payload: p})
	}
}
