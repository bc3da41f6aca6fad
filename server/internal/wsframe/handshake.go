package wsframe

import (
	"crypto/sha1"
	"encoding/base64"
)

// keyGUID is the GUID of RFC 6455 section 1.3.
const keyGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// ValidKey reports whether a Sec-WebSocket-Key is what RFC 6455 section
// 4.1 requires: a nonce of 16 bytes, base64-encoded (24 characters).
func ValidKey(key string) bool {
	if len(key) != 24 {
		return false
	}
	var b [18]byte
	n, err := base64.StdEncoding.Decode(b[:], []byte(key))
	return err == nil && n == 16
}

// AcceptKey is the Sec-WebSocket-Accept answering key.
func AcceptKey(key string) string {
	h := sha1.New()
	h.Write([]byte(key))
	h.Write([]byte(keyGUID))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}
