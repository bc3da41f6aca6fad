package lobby

import (
	"strings"
	"testing"
	"time"
)

// FuzzVerifyToken feeds guest tokens as a client sends them (a bearer
// header or the /ws token parameter) to the verifier: it never panics,
// never verifies a token this signer did not issue for the seeded player,
// and never lets a seat pass for a token.
func FuzzVerifyToken(f *testing.F) {
	s := newSigner([]byte("fuzzing secret 0123456789"))
	now := time.UnixMilli(1_700_000_000_000)
	tok := s.issueToken("p-player", now.Add(time.Minute))
	seat, _ := s.issueSeat("p-player", "room1234", "local", now.Add(time.Minute))
	for _, seed := range []string{
		tok,
		seat,                          // the other kind
		s.issueToken("p-player", now), // expired
		s.issueToken(strings.Repeat("p", 64), now.Add(time.Minute)), // the longest id
		tok[:len(tok)-1],                     // truncated
		tok + "A",                            // too long for its MAC
		strings.Repeat("A", maxTokenChars+1), // over the decode bound
		"", "AAAAAAAA", "====", "Bearer " + tok,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		player, err := s.verifyToken(tok, now)
		if err != nil {
			if player != "" {
				t.Fatalf("%q failed (%v) but named player %q", tok, err, player)
			}
			return
		}
		// Only tokens this signer issued verify: the seeds' players.
		if player != "p-player" && player != strings.Repeat("p", 64) {
			t.Fatalf("%q verified as player %q", tok, player)
		}
		// The same bytes never verify as a seat (keys differ per kind).
		if _, err := s.verifySeat(tok, now); err == nil {
			t.Fatalf("token %q also verified as a seat", tok)
		}
	})
}
