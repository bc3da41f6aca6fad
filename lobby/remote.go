package lobby

import (
	"context"
	"fmt"
	"slices"
	"time"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/tick"
)

// This file is the lobby's seam for clusters: a Matchmaker that takes the
// tickets of every node to one matchmaker, the matching rules for it to
// apply (FormGroups), and HostMatch, which starts a matched room on this
// node when the matchmaker places one here.

// Matchmaker, set in Options, takes over the lobby's tickets: the lobby
// still checks each request (game, party, players free and known, token)
// and then hands the ticket over; queuing, matching, expiry and the
// ticket's status belong to the Matchmaker. A cluster's Matchmaker keeps
// tickets where every node sees them and matches them in one place. Its
// methods are called from many goroutines.
type Matchmaker interface {
	// Submit queues a new, checked, searching ticket. It fails with
	// ErrAlreadyQueued when a party member waits in another ticket.
	Submit(ctx context.Context, t Ticket) error
	// Ticket returns ticket id, or an error wrapping ErrTicketNotFound.
	Ticket(ctx context.Context, id string) (Ticket, error)
	// Cancel stops ticket id's search and returns it with status
	// cancelled; cancelling twice is not an error; a matched or expired
	// ticket fails with ErrTicketDone.
	Cancel(ctx context.Context, id string) (Ticket, error)
	// QueuedIn returns the searching ticket player waits in, or "".
	QueuedIn(ctx context.Context, player string) (string, error)
}

// Ticket is a matchmaking ticket as a Matchmaker keeps it.
type Ticket struct {
	ID     string   `json:"id"`
	Game   string   `json:"game"`
	Owner  string   `json:"owner"`
	Party  []string `json:"party"`
	Skill  float64  `json:"skill"`
	Region string   `json:"region,omitempty"`
	Mode   string   `json:"mode,omitempty"`

	Created time.Time `json:"created"`
	// Expires is when a searching ticket becomes expired.
	Expires time.Time `json:"expires"`
	// Status is StatusSearching, StatusMatched, StatusExpired or
	// StatusCancelled.
	Status string `json:"status"`

	// Set once matched: the room, the node running it, and each party
	// member's seat.
	Room  string            `json:"room,omitempty"`
	Node  string            `json:"node,omitempty"`
	Seats map[string]string `json:"seats,omitempty"`
}

// view is the ticket as player sees it.
func (l *Lobby) viewOf(t Ticket, player string) *tickwirev1.Ticket {
	v := &tickwirev1.Ticket{TicketId: t.ID, Game: t.Game, Status: t.Status}
	if t.Status == StatusMatched {
		v.RoomId, v.Seat, v.Url = t.Room, t.Seats[player], l.urlOf(t.Node)
	}
	return v
}

// urlOf is where a client opens /ws for a room on node: empty for this
// node, else Options.NodeURL's answer.
func (l *Lobby) urlOf(node string) string {
	if node == "" || node == l.opts.Node || l.opts.NodeURL == nil {
		return ""
	}
	return l.opts.NodeURL(node)
}

// queued returns the searching ticket player waits in, or "".
func (l *Lobby) queued(ctx context.Context, player string) (string, error) {
	if mm := l.opts.Matchmaker; mm != nil {
		return mm.QueuedIn(ctx, player)
	}
	return queuedIn(l.db.Txn(false), player)
}

// MatchCandidate is a searching ticket as the matching rules see it.
type MatchCandidate struct {
	// ID breaks ties between tickets created at the same instant.
	ID    string
	Skill float64
	// Size is the number of players in the ticket's party.
	Size    int
	Created time.Time
}

// FormGroups applies this lobby's matching rules (the skill window,
// FillWait, parties kept whole, game.MinPlayers..MaxPlayers per group; see
// the package documentation) to the searching tickets of one bucket (same
// game, region and mode). It returns the groups to form now, as indices
// into cs, and when waiting alone could form another group (zero: only a
// new ticket can). A cluster's matchmaker calls it so that a cluster
// matches exactly as one node does.
func (l *Lobby) FormGroups(game tick.GameInfo, cs []MatchCandidate, now time.Time) (groups [][]int, next time.Time) {
	in := make([]candidate, len(cs))
	for i, c := range cs {
		in[i] = candidate{id: c.ID, skill: c.Skill, size: c.Size, created: c.Created}
	}
	return formGroups(in, now, l.policy(game))
}

// HostedMatch is a matched room HostMatch started on this node.
type HostedMatch struct {
	RoomID string `json:"room_id"`
	Node   string `json:"node"`
	// Seats maps each player to his seat in the room.
	Seats map[string]string `json:"seats"`
}

// HostMatch starts a private room of game on this node for exactly
// players, reserves a seat for each and records the room in the directory,
// as the lobby's own matchmaker does for a match: a cluster's matchmaker
// asks the node it places a match on. It fails with ErrGameNotFound,
// ErrBadRequest (no players, too many, a duplicate), ErrAlreadyInRoom, or
// the room runtime's error (tick.ErrTooManyRooms when the node is full).
func (l *Lobby) HostMatch(ctx context.Context, game string, players []string) (HostedMatch, error) {
	if err := l.checkOpen(); err != nil {
		return HostedMatch{}, err
	}
	g, err := l.game(game)
	if err != nil {
		return HostedMatch{}, err
	}
	if err := refuseSingleton(g); err != nil {
		return HostedMatch{}, err
	}
	sorted := slices.Sorted(slices.Values(players))
	if len(players) == 0 || len(players) > g.MaxPlayers || len(slices.Compact(sorted)) != len(players) {
		return HostedMatch{}, fail(ErrBadRequest, "a match of %s has 1..%d distinct players, not %d", game, g.MaxPlayers, len(players))
	}
	h, err := l.rooms.Create(ctx, game, tick.RoomOptions{MaxPlayers: len(players)})
	if err != nil {
		return HostedMatch{}, fmt.Errorf("create room of %s: %w", game, err)
	}
	now := l.now()
	rec := RoomRecord{ID: h.ID(), Game: game, Node: l.opts.Node, Private: true, MaxPlayers: len(players), Created: now, Managed: true}
	out := HostedMatch{RoomID: h.ID(), Node: l.opts.Node, Seats: make(map[string]string, len(players))}
	seats := make([]SeatRecord, 0, len(players))
	for _, p := range players {
		token, seat := l.newSeat(p, h.ID(), l.opts.Node, now)
		out.Seats[p] = token
		seats = append(seats, seat)
	}
	if err := l.dir.AddRoom(ctx, rec, seats); err != nil {
		l.closeRoom(h)
		return HostedMatch{}, err
	}
	l.watchRoom(h)
	l.m.matches.WithLabelValues(game).Inc()
	l.m.seatsIssued.Add(float64(len(players)))
	l.log.Debug().Str("room", h.ID()).Str("game", game).Strs("players", players).Msg("hosting a match")
	return out, nil
}
