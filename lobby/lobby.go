package lobby

import (
	"context"
	"crypto/rand"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"time"

	memdb "github.com/hashicorp/go-memdb"
	"github.com/rs/zerolog"

	"github.com/tickwire/tickwire/internal/owned"
	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/tick"
)

// Lobby decides who plays with whom and hands players seats in rooms: the
// matchmaker, the room browser, private rooms with join codes, quick-join,
// guest identities, and seat redemption for the server's /ws joins. Its
// methods are safe for concurrent use. It owns two goroutines (the
// matchmaker and the janitor that drops what expired) and one per room it
// watches for the room's end; Close stops them all.
type Lobby struct {
	opts  Options
	log   zerolog.Logger
	m     *metrics
	rooms *tick.Rooms
	dir   Directory
	db    *memdb.MemDB // players, tickets, queue
	sign  *signer
	clock tick.Clock

	// admit serializes, per player, the checks that a player is in no
	// ticket and no room with the write that puts him in one. Stripes keep
	// unrelated players apart; a party locks its stripes in order.
	admit [64]sync.Mutex
	seed  maphash.Seed

	quickMu sync.Mutex
	quick   map[string]*sync.Mutex // per game: quick-join finds or creates one room at a time

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	work   owned.Group // the matchmaker, the janitor and the room watchers
}

// New returns a running Lobby: its matchmaker and janitor have started.
// It fails when opts are invalid or the metrics cannot be registered.
func New(opts Options) (*Lobby, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("lobby metrics: %w", err)
	}
	dir := opts.Directory
	if dir == nil {
		dir = NewMemDirectory()
	}
	l := &Lobby{
		opts:  opts,
		log:   opts.Logger.With().Str("component", "lobby").Logger(),
		m:     m,
		rooms: opts.Rooms,
		dir:   dir,
		db:    newStore(),
		sign:  newSigner(opts.Secret),
		clock: opts.Clock,
		seed:  maphash.MakeSeed(),
		quick: map[string]*sync.Mutex{},
	}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.work.Go(l.runMatchmaker)
	l.work.Go(l.runJanitor)
	return l, nil
}

// Close stops the matchmaker, the janitor and the room watchers and waits
// for them, or for ctx. It leaves the rooms running: the server stops them
// after the lobby. Service calls fail with ErrClosed afterwards. Close may
// be called more than once.
func (l *Lobby) Close(ctx context.Context) error {
	l.work.Close()
	l.cancel()
	done := make(chan struct{})
	go func() { // ends when the lobby's goroutines do, even if ctx ends first
		l.work.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("close lobby: %w", ctx.Err())
	}
}

// goOwned starts fn on a goroutine Close waits for; it reports false (and
// does not start fn) once the lobby is closed.
func (l *Lobby) goOwned(fn func()) bool { return l.work.Go(fn) }

func (l *Lobby) checkOpen() error {
	if l.ctx.Err() != nil {
		return ErrClosed
	}
	return nil
}

// watchRoom forgets room h in the directory once it ends.
func (l *Lobby) watchRoom(h *tick.Handle) {
	started := l.goOwned(func() {
		select {
		case <-h.Done():
			if err := l.dir.RemoveRoom(context.WithoutCancel(l.ctx), h.ID()); err != nil {
				l.log.Error().Err(err).Str("room", h.ID()).Msg("forget ended room")
			}
			l.m.rooms.Dec()
			l.log.Debug().Str("room", h.ID()).Msg("room ended")
		case <-l.ctx.Done():
		}
	})
	if started {
		l.m.rooms.Inc()
	}
}

// lockPlayers locks the admission stripes of players, in order, and
// returns the unlock.
func (l *Lobby) lockPlayers(players ...string) func() {
	idx := make([]int, 0, len(players))
	for _, p := range players {
		idx = append(idx, int(maphash.String(l.seed, p)%uint64(len(l.admit))))
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	for _, i := range idx {
		l.admit[i].Lock()
	}
	return func() {
		for _, i := range slices.Backward(idx) {
			l.admit[i].Unlock()
		}
	}
}

// quickLock returns the quick-join mutex of game.
func (l *Lobby) quickLock(game string) *sync.Mutex {
	l.quickMu.Lock()
	defer l.quickMu.Unlock()
	mu := l.quick[game]
	if mu == nil {
		mu = &sync.Mutex{}
		l.quick[game] = mu
	}
	return mu
}

// free checks that player is in no searching ticket and holds no seat.
// Call it with the player's admission stripe locked.
func (l *Lobby) free(ctx context.Context, player string) error {
	if t, err := l.queued(ctx, player); err != nil {
		return err
	} else if t != "" {
		return fail(ErrAlreadyQueued, "player %s is already queued in ticket %s", player, t)
	}
	seat, ok, err := l.dir.SeatOf(ctx, player)
	if err != nil {
		return err
	}
	if ok {
		return fail(ErrAlreadyInRoom, "player %s already has a seat in room %s", player, seat.Room)
	}
	return nil
}

// Games lists the games rooms can be created for, sorted by name.
func (l *Lobby) Games() []*tickwirev1.GameInfo {
	gs := l.rooms.Games()
	out := make([]*tickwirev1.GameInfo, len(gs))
	for i, g := range gs {
		out[i] = &tickwirev1.GameInfo{Name: g.Name, MinPlayers: uint32(g.MinPlayers), MaxPlayers: uint32(g.MaxPlayers), TickHz: uint32(g.TickHz)}
	}
	return out
}

// game returns the registration of name, or ErrGameNotFound.
func (l *Lobby) game(name string) (tick.GameInfo, error) {
	for _, g := range l.rooms.Games() {
		if g.Name == name {
			return g, nil
		}
	}
	if name == "" {
		return tick.GameInfo{}, fail(ErrBadRequest, "game is required")
	}
	return tick.GameInfo{}, fail(ErrGameNotFound, "no game %q", name)
}

// Random ids. Player and ticket ids use a lower-case alphabet without
// look-alikes; join codes an upper-case one, short enough to read aloud.
const (
	idAlphabet   = "abcdefghijkmnpqrstuvwxyz23456789"
	codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	// JoinCodeLen is the length of a join code: 32^6 ≈ 10^9 codes.
	JoinCodeLen = 6
)

func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)] // 256 is a multiple of 32: no bias
	}
	return string(b)
}

func newPlayerID() string { return "p-" + randomString(idAlphabet, 12) }
func newTicketID() string { return "t-" + randomString(idAlphabet, 12) }
func newJoinCode() string { return randomString(codeAlphabet, JoinCodeLen) }

// validCode reports whether a normalized code can be a room's: one the
// lobby draws (JoinCodeLen of its alphabet) or a singleton game's own
// (tick.GameInfo.SingletonCode: 1-64 of [A-Z0-9_-]).
func validCode(code string) bool {
	if len(code) == 0 || len(code) > 64 {
		return false
	}
	for _, c := range []byte(code) {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// normalizeCode trims and upper-cases a typed join code: codes are
// case-insensitive.
func normalizeCode(code string) string {
	return strings.ToUpper(strings.TrimSpace(code))
}

func sortRooms(rs []RoomRecord) {
	slices.SortFunc(rs, func(a, b RoomRecord) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// now returns the lobby clock's time.
func (l *Lobby) now() time.Time { return l.clock.Now() }
