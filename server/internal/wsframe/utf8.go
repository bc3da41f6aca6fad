package wsframe

import "unicode/utf8"

// utf8Stream validates UTF-8 that arrives in pieces (the frames of a
// fragmented text message). It fails on the piece that holds the first
// byte that can no longer start or continue a valid sequence — a lead byte
// that is never valid, an overlong or surrogate form, a code point past
// U+10FFFF — rather than at the end of the message, as RFC 6455 section
// 8.1 asks ("fail fast").
type utf8Stream struct {
	pending [4]byte // an incomplete sequence at the end of the last piece
	n       int
}

// feed validates the next piece; false means the text is not UTF-8.
func (u *utf8Stream) feed(b []byte) bool {
	for u.n > 0 && len(b) > 0 {
		u.pending[u.n] = b[0]
		u.n++
		b = b[1:]
		if !validPrefix(u.pending[:u.n]) {
			return false
		}
		if u.n == seqLen(u.pending[0]) {
			u.n = 0 // complete, and a valid prefix of full length is valid
		}
	}
	if len(b) == 0 {
		return true
	}
	body, tail := splitTail(b)
	if !utf8.Valid(body) || !validPrefix(tail) {
		return false
	}
	u.n = copy(u.pending[:], tail)
	return true
}

// complete reports whether the text ended on a sequence boundary.
func (u *utf8Stream) complete() bool { return u.n == 0 }

func (u *utf8Stream) reset() { u.n = 0 }

// splitTail splits off an incomplete sequence at the end of b.
func splitTail(b []byte) (body, tail []byte) {
	for i := len(b) - 1; i >= 0 && i >= len(b)-3; i-- {
		c := b[i]
		if c < 0x80 {
			break
		}
		if c >= 0xC0 { // a lead byte
			if n := seqLen(c); n > 0 && len(b)-i < n {
				return b[:i], b[i:]
			}
			break
		}
	}
	return b, nil
}

// seqLen is the length of the sequence a lead byte starts, 0 if c can never
// lead one (continuation bytes, C0, C1, F5–FF).
func seqLen(c byte) int {
	switch {
	case c < 0x80:
		return 1
	case c >= 0xC2 && c <= 0xDF:
		return 2
	case c >= 0xE0 && c <= 0xEF:
		return 3
	case c >= 0xF0 && c <= 0xF4:
		return 4
	}
	return 0
}

// validPrefix reports whether p (at most one sequence long) can begin a
// valid UTF-8 sequence: RFC 3629's table, byte by byte.
func validPrefix(p []byte) bool {
	if len(p) == 0 {
		return true
	}
	n := seqLen(p[0])
	if n == 0 || len(p) > n {
		return false
	}
	for i := 1; i < len(p); i++ {
		lo, hi := byte(0x80), byte(0xBF)
		if i == 1 {
			switch p[0] {
			case 0xE0:
				lo = 0xA0 // no overlong 3-byte forms
			case 0xED:
				hi = 0x9F // no surrogates
			case 0xF0:
				lo = 0x90 // no overlong 4-byte forms
			case 0xF4:
				hi = 0x8F // nothing past U+10FFFF
			}
		}
		if p[i] < lo || p[i] > hi {
			return false
		}
	}
	return true
}
