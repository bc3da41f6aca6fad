package lobby

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/tick"
)

// Options configure a Lobby. Only Rooms is required; every other zero field
// takes the default written on it.
type Options struct {
	// Rooms is the room runtime the lobby creates rooms in. Required.
	Rooms *tick.Rooms
	// Directory keeps the rooms the lobby knows and their seats. Nil: a new
	// MemDirectory (go-memdb, this process only).
	Directory Directory
	// Node names this process in room records and seats, for clusters.
	// Empty: "local".
	Node string
	// NodeURL, in a cluster, returns the public URL of another node, where
	// a client opens /ws for a seat in that node's room; grants and matched
	// tickets carry it (URL). Nil: URLs are left empty.
	NodeURL func(node string) string
	// Matchmaker, when set, takes the tickets this lobby checks (see
	// Matchmaker): a cluster matches the tickets of every node in one
	// place. Nil: this lobby's own matchmaker.
	Matchmaker Matchmaker

	// Secret keys the HMAC-SHA256 signatures of tokens and seats; at least
	// 16 bytes. Empty: 32 random bytes, so tokens and seats die with the
	// process (set it to keep them valid across restarts or nodes).
	Secret []byte
	// Authenticator, when set, authenticates every bearer token and replaces
	// guest identities: POST /lobby/guest is then refused. Nil: guest
	// tokens issued by POST /lobby/guest.
	Authenticator Authenticator
	// TokenTTL is how long a guest token is valid. Zero: 24 hours.
	TokenTTL time.Duration
	// SeatTTL is how long a seat may wait before it is presented on /ws;
	// an unredeemed seat's reservation ends with it. Zero: 30 seconds.
	SeatTTL time.Duration

	// TicketTTL is how long a ticket searches before its status becomes
	// "expired". Zero: 60 seconds.
	TicketTTL time.Duration
	// TicketRetention is how long a finished ticket (matched, expired,
	// cancelled) can still be read. Zero: 5 minutes.
	TicketRetention time.Duration
	// Skill is the allowed skill spread of a match as a function of the
	// waiting time (see SkillWindow). Zero fields take SkillWindow's
	// defaults.
	Skill SkillWindow
	// FillWait is how long the matchmaker holds out for a full room (the
	// game's MaxPlayers) before it settles for MinPlayers. Zero: 3 seconds;
	// negative: match as soon as MinPlayers are found.
	FillWait time.Duration
	// MaxTickets caps the tickets searching at once; more are refused with
	// ErrTooManyTickets. Zero: 100,000.
	MaxTickets int

	// IdleRoomTTL closes a room the lobby created once it has had no seat
	// (reserved or taken) for this long. Zero: 60 seconds; negative: never.
	IdleRoomTTL time.Duration
	// MaxBodyBytes caps an HTTP request body. Zero: 64 KiB.
	MaxBodyBytes int64

	// Clock is the lobby's time source: ticket and seat expiry, skill
	// widening, idle rooms. Nil: the system clock (tick.SystemClock), which
	// inside a testing/synctest bubble runs on the bubble's fake time.
	Clock tick.Clock
	// Logger gets the lobby's logs with component "lobby". Zero: none.
	Logger zerolog.Logger
	// Registerer gets the lobby's Prometheus metrics. Nil: metrics are kept
	// but not registered.
	Registerer prometheus.Registerer
}

// SkillWindow is the matchmaker's skill curve: a match is formed only when
// the spread of its skills (highest minus lowest rating) is at most
//
//	spread(t) = min(Base + PerSecond·t, Max)
//
// where t is how long the match's oldest ticket has waited. A new ticket
// only meets players of nearly its rating; the longer it waits, the wider
// it looks, up to Max. With the defaults (50, 25/s, 400) the window is 50
// at once, 100 after 2 s, 300 after 10 s and 400 from 14 s on.
type SkillWindow struct {
	// Base is the spread allowed at once. Zero: 50.
	Base float64
	// PerSecond is how fast the spread widens. Zero: 25; negative: never.
	PerSecond float64
	// Max caps the spread; +Inf for no cap. Zero: 400.
	Max float64
}

// At returns the spread allowed after waiting waited.
func (w SkillWindow) At(waited time.Duration) float64 {
	if waited < 0 {
		waited = 0
	}
	s := w.Base
	if w.PerSecond > 0 {
		s += w.PerSecond * waited.Seconds()
	}
	return math.Min(s, w.Max)
}

// reaches returns how long after its start the window reaches spread, and
// false if it never does.
func (w SkillWindow) reaches(spread float64) (time.Duration, bool) {
	switch {
	case spread <= w.Base:
		return 0, true
	case spread > w.Max || w.PerSecond <= 0:
		return 0, false
	}
	secs := (spread - w.Base) / w.PerSecond
	if secs > (100 * 365 * 24 * time.Hour).Seconds() {
		return 0, false
	}
	// Round up to the next millisecond so that At(d) >= spread despite
	// floating-point rounding: waking early would find nothing to do.
	d := time.Duration(math.Ceil(secs*1e3)+1) * time.Millisecond
	return d, true
}

// normalize fills in defaults and returns every problem, naming the field.
func (o Options) normalize() (Options, error) {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if o.Rooms == nil {
		bad("Rooms: required")
	}
	if o.Node == "" {
		o.Node = "local"
	}
	if len(o.Secret) > 0 && len(o.Secret) < 16 {
		bad("Secret: %d bytes, want at least 16", len(o.Secret))
	}
	dur := func(name string, d *time.Duration, def time.Duration, allowNegative bool) {
		switch {
		case *d == 0:
			*d = def
		case *d < 0 && !allowNegative:
			bad("%s %v: want > 0", name, *d)
		}
	}
	dur("TokenTTL", &o.TokenTTL, 24*time.Hour, false)
	dur("SeatTTL", &o.SeatTTL, 30*time.Second, false)
	dur("TicketTTL", &o.TicketTTL, 60*time.Second, false)
	dur("TicketRetention", &o.TicketRetention, 5*time.Minute, false)
	dur("FillWait", &o.FillWait, 3*time.Second, true)
	dur("IdleRoomTTL", &o.IdleRoomTTL, 60*time.Second, true)
	if o.Skill.Base == 0 {
		o.Skill.Base = 50
	}
	if o.Skill.PerSecond == 0 {
		o.Skill.PerSecond = 25
	}
	if o.Skill.Max == 0 {
		o.Skill.Max = 400
	}
	if o.Skill.Base < 0 || math.IsNaN(o.Skill.Base) || math.IsInf(o.Skill.Base, 0) {
		bad("Skill.Base %v: want a finite number >= 0", o.Skill.Base)
	}
	if math.IsNaN(o.Skill.PerSecond) || math.IsInf(o.Skill.PerSecond, 0) {
		bad("Skill.PerSecond %v: want a finite number", o.Skill.PerSecond)
	}
	if math.IsNaN(o.Skill.Max) || o.Skill.Max < o.Skill.Base {
		bad("Skill.Max %v: want >= Skill.Base (%v)", o.Skill.Max, o.Skill.Base)
	}
	if o.MaxTickets == 0 {
		o.MaxTickets = 100_000
	} else if o.MaxTickets < 0 {
		bad("MaxTickets %d: want > 0", o.MaxTickets)
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 64 << 10
	} else if o.MaxBodyBytes < 256 {
		bad("MaxBodyBytes %d: want >= 256", o.MaxBodyBytes)
	}
	if o.Clock == nil {
		o.Clock = tick.SystemClock{}
	}
	if len(errs) > 0 {
		return o, errors.New("lobby options: " + strings.Join(errs, "; "))
	}
	return o, nil
}
