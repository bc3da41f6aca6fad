package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// PublishPath is the HTTP publish API's endpoint.
const PublishPath = "/publish"

// PublishRequest is the JSON body of POST /publish: Channel (or Room, for
// that room's chat, "room:<id>:chat") and exactly one of Data (a string,
// sent as its UTF-8 bytes) and DataBase64 (standard base64, for binary).
type PublishRequest struct {
	Channel    string  `json:"channel,omitempty"`
	Room       string  `json:"room,omitempty"`
	Data       *string `json:"data,omitempty"`
	DataBase64 *string `json:"data_base64,omitempty"`
}

// publishAPI is POST /publish.
type publishAPI struct {
	s        *Server
	secret   [32]byte // sha256 of Options.PublishSecret: compared in constant time
	enabled  bool
	requests *prometheus.CounterVec
}

// initPublish mounts POST /publish for Options.Channels. New calls it.
func (s *Server) initPublish() error {
	p := &publishAPI{
		s:       s,
		secret:  sha256.Sum256([]byte(s.opts.PublishSecret)),
		enabled: s.opts.PublishSecret != "",
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tickwire_publish_requests_total",
			Help: "HTTP publish API requests by status.",
		}, []string{"status"}),
	}
	if err := s.opts.Registry.Register(p.requests); err != nil {
		return err
	}
	s.mux.Handle(PublishPath, p)
	return nil
}

// ServeHTTP answers one publish: 200 {"channel"} once every subscriber
// on this node has the message; errors are {"error":{"code","message"}}.
func (p *publishAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status, body := p.serve(r)
	p.requests.WithLabelValues(strconv.Itoa(status)).Inc()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tickwire publish"`)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func fail(status int, code tickwirev1.ErrorCode, format string, args ...any) (int, any) {
	var e apiError
	e.Error.Code = protocol.CodeName(code)
	e.Error.Message = protocol.Errorf(code, format, args...).Msg
	return status, e
}

func (p *publishAPI) serve(r *http.Request) (int, any) {
	const (
		bad       = protocol.CodeBadRequest
		tooLarge  = protocol.CodeMessageTooLarge
		forbidden = protocol.CodeChannelForbidden
	)
	if r.Method != http.MethodPost {
		return fail(http.StatusMethodNotAllowed, bad, "use POST")
	}
	if !p.enabled {
		return fail(http.StatusForbidden, forbidden, "the HTTP publish API is disabled: the server has no publish secret")
	}
	if !p.authorized(r) {
		p.s.log.Debug().Str("remote", r.RemoteAddr).Msg("publish: bad or missing token")
		return fail(http.StatusUnauthorized, protocol.CodeUnauthenticated, "missing or bad publish token (Authorization: Bearer SECRET)")
	}
	maxData := p.s.opts.Channels.MaxMessageBytes()
	ctype, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil && r.Header.Get("Content-Type") != "" {
		return fail(http.StatusUnsupportedMediaType, bad, "bad Content-Type: %v", err)
	}
	protobuf := false
	limit := int64(2*maxData + 4096) // JSON: escapes, base64, the channel name
	switch ctype {
	case "", "application/json":
	case "application/x-protobuf", "application/protobuf", "application/vnd.google.protobuf":
		protobuf = true
		limit = int64(maxData + 1024)
	default:
		return fail(http.StatusUnsupportedMediaType, bad, "Content-Type %q: send application/json or application/x-protobuf", ctype)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return fail(http.StatusBadRequest, bad, "read body: %v", err)
	}
	if int64(len(body)) > limit {
		return fail(http.StatusRequestEntityTooLarge, tooLarge, "body over %d bytes (messages carry at most %d bytes of data)", limit, maxData)
	}
	var channelName string
	var data []byte
	if protobuf {
		var m tickwirev1.Publish
		if err := proto.Unmarshal(body, &m); err != nil {
			return fail(http.StatusBadRequest, bad, "body is not a tickwire.v1.Publish: %v", err)
		}
		channelName, data = m.Channel, m.Data
	} else {
		var req PublishRequest
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return fail(http.StatusBadRequest, bad, "body is not a publish request: %v", err)
		}
		if dec.More() {
			return fail(http.StatusBadRequest, bad, "one JSON object per request")
		}
		switch {
		case (req.Channel == "") == (req.Room == ""):
			return fail(http.StatusBadRequest, bad, `give exactly one of "channel" and "room"`)
		case (req.Data == nil) == (req.DataBase64 == nil):
			return fail(http.StatusBadRequest, bad, `give exactly one of "data" (a string) and "data_base64"`)
		case req.Data != nil:
			data = []byte(*req.Data)
		default:
			if data, err = base64.StdEncoding.DecodeString(*req.DataBase64); err != nil {
				return fail(http.StatusBadRequest, bad, "data_base64: %v", err)
			}
		}
		channelName = req.Channel
		if req.Room != "" {
			channelName = p.s.opts.Channels.RoomChat(req.Room)
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := p.s.opts.Channels.Publish(ctx, channelName, data, "http"); err != nil {
		var pe *protocol.Error
		if !errors.As(err, &pe) {
			p.s.log.Error().Err(err).Str("channel", channelName).Msg("publish failed")
			return fail(http.StatusInternalServerError, protocol.CodeInternal, "internal error")
		}
		status := http.StatusBadRequest
		switch pe.Code {
		case tooLarge:
			status = http.StatusRequestEntityTooLarge
		case forbidden:
			status = http.StatusForbidden
		case protocol.CodeShuttingDown, protocol.CodeNodeFull:
			status = http.StatusServiceUnavailable
		}
		return fail(status, pe.Code, "%s", pe.Msg)
	}
	return http.StatusOK, map[string]string{"channel": channelName}
}

// authorized checks the bearer token against the secret in constant time.
func (p *publishAPI) authorized(r *http.Request) bool {
	a := r.Header.Get("Authorization")
	if len(a) <= 7 || !strings.EqualFold(a[:7], "bearer ") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(a[7:])))
	return subtle.ConstantTimeCompare(got[:], p.secret[:]) == 1
}
