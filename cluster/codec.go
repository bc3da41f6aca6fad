package cluster

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/protocol"
)

// Helpers shared by the buckets' readers and writers.

func enc(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

func dec(s string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return string(b), err == nil
}

// badLog logs each malformed entry once per revision, however often it is
// read.
type badLog struct {
	log  zerolog.Logger
	mu   sync.Mutex
	seen map[string]uint64 // key → revision logged
}

func (b *badLog) note(key string, rev uint64, why string) {
	b.mu.Lock()
	seen := b.seen[key] == rev
	b.seen[key] = rev
	b.mu.Unlock()
	if !seen {
		b.log.Warn().Str("key", key).Uint64("revision", rev).Str("problem", why).Msg("malformed entry skipped")
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("cluster: encode: " + err.Error()) // only plain structs are encoded
	}
	return b
}

// failf returns an error of kind with a precise message, as the lobby's
// own errors are: errors.Is matches kind, protocol.AsError finds the
// message.
func failf(kind *protocol.Error, format string, args ...any) error {
	return &kindError{wire: &protocol.Error{Code: kind.Code, Msg: fmt.Sprintf(format, args...)}, kind: kind}
}

type kindError struct{ wire, kind *protocol.Error }

func (e *kindError) Error() string   { return e.wire.Error() }
func (e *kindError) Unwrap() []error { return []error{e.wire, e.kind} }
