package lobby

import (
	"context"
	"math"
	"slices"
	"strings"

	memdb "github.com/hashicorp/go-memdb"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
)

// maxAttrLen bounds region and mode.
const maxAttrLen = 32

// CreateTicket queues a ticket for req's party and returns its id.
// req.Party are the players kept together, the asker among them (empty:
// the asker alone), each a known player in no other ticket and no room,
// at most the game's MaxPlayers; req.Skill is the party's rating (matches
// keep the spread of ratings within the skill window, see SkillWindow);
// req.Region and req.Mode, when set, must be equal in every ticket of a
// match (empty matches empty only). Errors:
// ErrGameNotFound, ErrBadRequest (party too large, without the asker, with
// an unknown player or a duplicate; a skill that is not a finite number;
// a singleton game, tick.GameInfo.Singleton, which has one room to join),
// ErrAlreadyQueued, ErrAlreadyInRoom, ErrTooManyTickets.
func (l *Lobby) CreateTicket(ctx context.Context, player string, req *tickwirev1.CreateTicket) (string, error) {
	if req == nil {
		req = &tickwirev1.CreateTicket{}
	}
	if err := l.checkOpen(); err != nil {
		return "", err
	}
	g, err := l.game(req.Game)
	if err != nil {
		return "", err
	}
	if err := refuseSingleton(g); err != nil {
		return "", err
	}
	party := req.Party
	if len(party) == 0 {
		party = []string{player}
	}
	sorted := slices.Sorted(slices.Values(party))
	switch {
	case len(party) > g.MaxPlayers:
		return "", fail(ErrBadRequest, "party of %d is larger than game %s allows (%d)", len(party), g.Name, g.MaxPlayers)
	case !slices.Contains(party, player):
		return "", fail(ErrBadRequest, "party must include the player asking (%s)", player)
	case len(slices.Compact(sorted)) != len(party):
		return "", fail(ErrBadRequest, "party names a player twice")
	case math.IsNaN(req.Skill) || math.IsInf(req.Skill, 0) || math.Abs(req.Skill) > 1e9:
		return "", fail(ErrBadRequest, "skill must be a number within ±1e9")
	case !validAttr(req.Region) || !validAttr(req.Mode):
		return "", fail(ErrBadRequest, "region and mode have at most %d printable characters", maxAttrLen)
	}
	for _, p := range party {
		if !validID(p) {
			return "", fail(ErrBadRequest, "party member %q is not a player id", p)
		}
	}

	defer l.lockPlayers(party...)()
	if unknown, err := unknownPlayers(l.db.Txn(false), party); err != nil {
		return "", err
	} else if len(unknown) > 0 {
		return "", fail(ErrBadRequest, "unknown player %s", strings.Join(unknown, ", "))
	}
	for _, p := range party {
		if err := l.free(ctx, p); err != nil {
			return "", err
		}
	}
	now := l.now()
	if mm := l.opts.Matchmaker; mm != nil {
		t := Ticket{
			ID: newTicketID(), Game: g.Name, Owner: player, Party: slices.Clone(party),
			Skill: req.Skill, Region: req.Region, Mode: req.Mode,
			Created: now, Expires: now.Add(l.opts.TicketTTL), Status: StatusSearching,
		}
		if err := mm.Submit(ctx, t); err != nil {
			return "", err
		}
		l.m.tickets.WithLabelValues(g.Name).Inc()
		l.log.Debug().Str("ticket", t.ID).Str("game", g.Name).Strs("party", party).Msg("ticket handed to the matchmaker")
		return t.ID, nil
	}
	if l.m.searchingNow() >= l.opts.MaxTickets {
		return "", fail(ErrTooManyTickets, "%d tickets are searching already", l.opts.MaxTickets)
	}
	t := &ticketRecord{
		ID: newTicketID(), Game: g.Name, Owner: player, Party: slices.Clone(party),
		Skill: req.Skill, Region: req.Region, Mode: req.Mode,
		Created: now, Expires: now.Add(l.opts.TicketTTL), Status: StatusSearching, PurgeAt: never,
	}
	if err := l.insertTicket(t); err != nil {
		return "", err
	}
	l.m.ticketCreated(g.Name)
	l.log.Debug().Str("ticket", t.ID).Str("game", g.Name).Strs("party", party).Float64("skill", req.Skill).Msg("ticket queued")
	return t.ID, nil
}

// insertTicket stores a searching ticket and queues its party.
func (l *Lobby) insertTicket(t *ticketRecord) error {
	txn := l.db.Txn(true)
	defer txn.Abort()
	for _, p := range t.Party {
		if other, err := queuedIn(txn, p); err != nil {
			return err
		} else if other != "" { // the admission lock makes this unreachable
			return fail(ErrAlreadyQueued, "player %s is already queued in ticket %s", p, other)
		}
		if err := txn.Insert(tableQueue, &queueRecord{Player: p, Ticket: t.ID}); err != nil {
			return err
		}
	}
	if err := txn.Insert(tableTickets, t); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

func validAttr(s string) bool { return s == "" || (len(s) <= maxAttrLen && validID(s)) }

// Ticket returns ticket id as player (a member of its party) sees it, or
// ErrTicketNotFound. Status is StatusSearching, StatusMatched,
// StatusExpired or StatusCancelled; RoomId and Seat (the viewer's own) are
// set once matched, and Url, in a cluster, names the node running the
// room when it is not this one.
func (l *Lobby) Ticket(ctx context.Context, player, id string) (*tickwirev1.Ticket, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	if mm := l.opts.Matchmaker; mm != nil {
		t, err := l.remoteTicket(ctx, mm, player, id)
		if err != nil {
			return nil, err
		}
		return l.viewOf(t, player), nil
	}
	t, err := l.partyTicket(l.db.Txn(false), player, id)
	if err != nil {
		return nil, err
	}
	return t.view(player), nil
}

func (l *Lobby) partyTicket(txn *memdb.Txn, player, id string) (*ticketRecord, error) {
	t, err := getTicket(txn, id)
	if err != nil {
		return nil, err
	}
	if t == nil || !slices.Contains(t.Party, player) {
		return nil, fail(ErrTicketNotFound, "no ticket %q", id)
	}
	return t, nil
}

// remoteTicket returns ticket id from the Matchmaker if player is in its
// party.
func (l *Lobby) remoteTicket(ctx context.Context, mm Matchmaker, player, id string) (Ticket, error) {
	t, err := mm.Ticket(ctx, id)
	if err != nil {
		return Ticket{}, err
	}
	if !slices.Contains(t.Party, player) {
		return Ticket{}, fail(ErrTicketNotFound, "no ticket %q", id)
	}
	return t, nil
}

func (t *ticketRecord) view(player string) *tickwirev1.Ticket {
	v := &tickwirev1.Ticket{TicketId: t.ID, Game: t.Game, Status: t.Status}
	if t.Status == StatusMatched {
		v.RoomId, v.Seat = t.Room, t.Seats[player]
	}
	return v
}

// CancelTicket stops ticket id's search; any member of its party may. It
// returns the ticket, now "cancelled" (cancelling twice is not an error),
// or ErrTicketDone when it was matched or expired already.
func (l *Lobby) CancelTicket(ctx context.Context, player, id string) (*tickwirev1.Ticket, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	if mm := l.opts.Matchmaker; mm != nil {
		if _, err := l.remoteTicket(ctx, mm, player, id); err != nil {
			return nil, err
		}
		t, err := mm.Cancel(ctx, id)
		if err != nil {
			return nil, err
		}
		return l.viewOf(t, player), nil
	}
	txn := l.db.Txn(true)
	defer txn.Abort()
	t, err := l.partyTicket(txn, player, id)
	if err != nil {
		return nil, err
	}
	switch t.Status {
	case StatusCancelled:
		return t.view(player), nil
	case StatusSearching:
	default:
		return nil, fail(ErrTicketDone, "ticket %s is %s", id, t.Status)
	}
	if err := finishTicket(txn, t, StatusCancelled, l.now(), l.opts.TicketRetention); err != nil {
		return nil, err
	}
	txn.Commit()
	l.m.ticketFinished(t.Game, StatusCancelled)
	return &tickwirev1.Ticket{TicketId: t.ID, Game: t.Game, Status: StatusCancelled}, nil
}
