package lobby

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash"
	"sync"
	"time"
)

// Tokens and seats share one wire form: base64url (no padding) of
//
//	version(1)=1 | kind(1) | expires(8, Unix ms, big endian) | body | HMAC-SHA256(32)
//
// where the MAC covers everything before it and is keyed by a key derived
// from Options.Secret per kind, so a token can never pass for a seat. A
// guest token's body is the player id; a seat's is a 12-byte random nonce
// (what makes it single-use) and the player, room and node ids. Strings are
// uvarint-length-prefixed.
const (
	tokenVersion = 1
	kindToken    = 'T'
	kindSeat     = 'S'
	macLen       = sha256.Size
	nonceLen     = 12
	// maxTokenChars bounds what is decoded at all; real tokens are far
	// shorter (ids are at most 64 bytes each).
	maxTokenChars = 512
	maxDecoded    = maxTokenChars * 3 / 4
	maxIDLen      = 64
)

// Why a token or seat failed to verify, before any store lookup.
var (
	errMalformed = errors.New("malformed")
	errForged    = errors.New("signature does not match")
	errExpired   = errors.New("expired")
)

// SeatClaims is what a verified seat says: who may sit where, until when.
type SeatClaims struct {
	Player  string
	Room    string
	Node    string
	Expires time.Time
	// Nonce makes the seat single-use: the directory remembers redeemed
	// nonces until Expires.
	Nonce string
}

// signer signs and verifies tokens and seats. Its pools hold HMAC states
// with scratch space, so verification allocates only the claims' strings.
type signer struct {
	tokenKey, seatKey []byte
	tokenMACs         sync.Pool // of *macState
	seatMACs          sync.Pool
}

type macState struct {
	h   hash.Hash
	sum [macLen]byte
	buf [maxDecoded]byte
}

// newSigner derives one key per kind from secret (random when empty).
func newSigner(secret []byte) *signer {
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
	}
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(label))
		return m.Sum(nil)
	}
	s := &signer{tokenKey: derive("tickwire lobby token v1"), seatKey: derive("tickwire lobby seat v1")}
	s.tokenMACs.New = func() any { return &macState{h: hmac.New(sha256.New, s.tokenKey)} }
	s.seatMACs.New = func() any { return &macState{h: hmac.New(sha256.New, s.seatKey)} }
	return s
}

func (s *signer) pool(kind byte) *sync.Pool {
	if kind == kindSeat {
		return &s.seatMACs
	}
	return &s.tokenMACs
}

// sign encodes payload (starting with version and kind) with its MAC.
func (s *signer) sign(payload []byte) string {
	p := s.pool(payload[1])
	st := p.Get().(*macState)
	st.h.Reset()
	st.h.Write(payload)
	payload = st.h.Sum(payload)
	p.Put(st)
	return base64.RawURLEncoding.EncodeToString(payload)
}

// open decodes tok, checks its MAC and expiry, and calls body with the
// bytes between the expiry and the MAC (valid only during the call).
func (s *signer) open(tok string, kind byte, now time.Time, body func(b []byte, expires time.Time) error) error {
	if len(tok) < 8 || len(tok) > maxTokenChars {
		return errMalformed
	}
	p := s.pool(kind)
	st := p.Get().(*macState)
	defer p.Put(st)
	n, ok := decodeBase64URL(st.buf[:], tok)
	if !ok || n < 2+8+macLen || st.buf[0] != tokenVersion || st.buf[1] != kind {
		return errMalformed
	}
	payload, mac := st.buf[:n-macLen], st.buf[n-macLen:n]
	st.h.Reset()
	st.h.Write(payload)
	if !hmac.Equal(st.h.Sum(st.sum[:0]), mac) {
		return errForged
	}
	expires := time.UnixMilli(int64(binary.BigEndian.Uint64(payload[2:10])))
	if !now.Before(expires) {
		return errExpired
	}
	return body(payload[10:], expires)
}

// issueToken returns a guest token for player.
func (s *signer) issueToken(player string, expires time.Time) string {
	b := make([]byte, 0, 2+8+1+len(player)+macLen)
	b = append(b, tokenVersion, kindToken)
	b = binary.BigEndian.AppendUint64(b, uint64(expires.UnixMilli()))
	b = appendString(b, player)
	return s.sign(b)
}

// verifyToken returns the player a guest token names.
func (s *signer) verifyToken(tok string, now time.Time) (string, error) {
	var player string
	err := s.open(tok, kindToken, now, func(b []byte, _ time.Time) error {
		p, rest, ok := readString(b)
		if !ok || len(rest) != 0 || len(p) == 0 {
			return errMalformed
		}
		player = string(p)
		return nil
	})
	return player, err
}

// issueSeat returns a seat token and its claims.
func (s *signer) issueSeat(player, room, node string, expires time.Time) (string, SeatClaims) {
	var nonce [nonceLen]byte
	_, _ = rand.Read(nonce[:])
	b := make([]byte, 0, 2+8+nonceLen+3+len(player)+len(room)+len(node)+macLen)
	b = append(b, tokenVersion, kindSeat)
	b = binary.BigEndian.AppendUint64(b, uint64(expires.UnixMilli()))
	b = append(b, nonce[:]...)
	b = appendString(b, player)
	b = appendString(b, room)
	b = appendString(b, node)
	// Claims carry the expiry as the token encodes it (milliseconds).
	return s.sign(b), SeatClaims{Player: player, Room: room, Node: node, Expires: time.UnixMilli(expires.UnixMilli()), Nonce: string(nonce[:])}
}

// verifySeat checks a seat's signature and expiry and returns its claims.
// All four strings share one allocation.
func (s *signer) verifySeat(tok string, now time.Time) (SeatClaims, error) {
	var c SeatClaims
	err := s.open(tok, kindSeat, now, func(b []byte, expires time.Time) error {
		if len(b) < nonceLen {
			return errMalformed
		}
		all := string(b)
		pos := nonceLen
		var fields [3]string
		for i := range fields {
			f, rest, ok := readString(b[pos:])
			if !ok || len(f) == 0 {
				return errMalformed
			}
			end := len(b) - len(rest)
			fields[i] = all[end-len(f) : end]
			pos = end
		}
		if pos != len(b) {
			return errMalformed
		}
		c = SeatClaims{Player: fields[0], Room: fields[1], Node: fields[2], Expires: expires, Nonce: all[:nonceLen]}
		return nil
	})
	return c, err
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func readString(b []byte) (s, rest []byte, ok bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > maxIDLen || uint64(len(b)-k) < n {
		return nil, nil, false
	}
	return b[k : k+int(n)], b[k+int(n):], true
}

// decodeBase64URL decodes unpadded base64url from a string into dst without
// allocating (base64.Encoding decodes only from []byte).
func decodeBase64URL(dst []byte, src string) (int, bool) {
	if len(src)%4 == 1 || len(src)*3/4 > len(dst) {
		return 0, false
	}
	n := 0
	var acc uint32
	bits := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		var v byte
		switch {
		case c >= 'A' && c <= 'Z':
			v = c - 'A'
		case c >= 'a' && c <= 'z':
			v = c - 'a' + 26
		case c >= '0' && c <= '9':
			v = c - '0' + 52
		case c == '-':
			v = 62
		case c == '_':
			v = 63
		default:
			return 0, false
		}
		acc = acc<<6 | uint32(v)
		bits += 6
		if bits >= 8 {
			bits -= 8
			dst[n] = byte(acc >> bits)
			n++
		}
	}
	// Canonical encodings leave the unused low bits zero.
	if acc&(1<<bits-1) != 0 {
		return 0, false
	}
	return n, true
}
