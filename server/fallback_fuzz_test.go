package server_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
	"github.com/tickwire/tickwire/server"
	"github.com/tickwire/tickwire/server/servertest"
)

// fuzzStream is a fallback session kept open across fuzz inputs: its
// event stream is read and dropped by a goroutine that close stops.
type fuzzStream struct {
	sid  string
	body io.ReadCloser
	wg   sync.WaitGroup
}

func openFuzzStream(t testing.TB, hc *http.Client, base string) *fuzzStream {
	t.Helper()
	resp, err := hc.Get(base + server.PathFallbackStream + "?subprotocol=" + protocol.Subprotocol)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		t.Fatalf("open stream: %s", resp.Status)
	}
	br := bufio.NewReader(resp.Body)
	st := &fuzzStream{body: resp.Body}
	for st.sid == "" {
		line, err := br.ReadString('\n')
		if err != nil {
			resp.Body.Close()
			t.Fatalf("open event: %v", err)
		}
		if data, ok := strings.CutPrefix(strings.TrimSpace(line), "data: {"); ok {
			var open struct {
				SID string `json:"sid"`
			}
			if err := json.Unmarshal([]byte("{"+data), &open); err != nil {
				t.Fatal(err)
			}
			st.sid = open.SID
		}
	}
	st.wg.Go(func() { _, _ = io.Copy(io.Discard, br) })
	return st
}

func (st *fuzzStream) close() {
	st.body.Close()
	st.wg.Wait()
}

// postFrame is one length-prefixed message of a fallback POST body.
func postFrame(msg []byte) []byte { return append(binary.AppendUvarint(nil, uint64(len(msg))), msg...) }

// FuzzFallbackSend posts fuzzed bodies to /ws/send for a real fallback
// session: the body's framing (length-prefixed Envelopes) and each
// message go through the server's own parsing. Every body gets 204 or one
// of the documented refusals (docs/codes.md), never a 5xx or a dropped
// connection, and a 204 leaves the session open.
func FuzzFallbackSend(f *testing.F) {
	s := servertest.StartTestServer(f, server.Options{MessagesPerSecond: 1e6, MessageBurst: 1 << 20})
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	base := servertest.URL(s, false, "")
	var st *fuzzStream
	f.Cleanup(func() {
		if st != nil {
			st.close()
		}
		tr.CloseIdleConnections()
	})

	env := func(e *protocol.Envelope) []byte {
		b, err := proto.Marshal(e)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	ping := env(&protocol.Envelope{Ref: 1, Msg: &tickwirev1.Envelope_Ping{Ping: &tickwirev1.Ping{}}})
	join := env(&protocol.Envelope{Ref: 2, Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: &tickwirev1.JoinRoom{RoomId: "r1", Seat: "x"}}})
	f.Add([]byte{})                                            // a keepalive
	f.Add(postFrame(ping))                                     // one message
	f.Add(append(postFrame(ping), postFrame(join)...))         // two
	f.Add(append(postFrame(ping), 0x00))                       // an empty message
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})    // a varint past the body
	f.Add([]byte{0x80})                                        // a cut varint
	f.Add(append([]byte{0x05}, ping[:2]...))                   // a length past the end
	f.Add(postFrame([]byte{0x0a, 0xff}))                       // an undecodable Envelope
	f.Add(postFrame(bytes.Repeat([]byte{0x72, 0x00}, 40<<10))) // a message over 64 KiB
	f.Add(bytes.Repeat(postFrame([]byte{0x72, 0x00}), 10000))  // many small messages

	f.Fuzz(func(t *testing.T, body []byte) {
		post := func() (int, string) {
			if st == nil {
				st = openFuzzStream(t, hc, base)
			}
			resp, err := hc.Post(base+server.PathFallbackSend+"?sid="+st.sid, "application/octet-stream", bytes.NewReader(body))
			if err != nil {
				t.Fatalf("POST of %d bytes: %v", len(body), err)
			}
			reason, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(reason)
		}
		status, reason := post()
		if status == http.StatusNotFound {
			// An earlier input's message may end the session after its
			// POST was answered (a handler that runs off the poller closes
			// it with its code on the stream): try once more on a new one.
			st.close()
			st = nil
			status, reason = post()
		}
		switch status {
		case http.StatusNoContent:
			return // the session goes on
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests, http.StatusGone:
			// Refused, and the session closed with its close code: the
			// next input gets a new one.
			st.close()
			st = nil
		default:
			t.Fatalf("POST of %d bytes: %d %q", len(body), status, reason)
		}
	})
}
