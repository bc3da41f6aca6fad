package lobby

import (
	"errors"
	"fmt"
	"time"

	memdb "github.com/hashicorp/go-memdb"
)

// The lobby's own go-memdb tables: players (identities), tickets and the
// queue (which player waits in which searching ticket). Rooms and seats are
// in the Directory. Rows are immutable once inserted: writers insert copies.
const (
	tablePlayers = "players"
	tableTickets = "tickets"
	tableQueue   = "queue"
)

// Ticket statuses, as GET /lobby/tickets/ID reports them.
const (
	StatusSearching = "searching"
	StatusMatched   = "matched"
	StatusExpired   = "expired"
	StatusCancelled = "cancelled"
)

// playerRecord is a known player: a guest, or an identity the
// Authenticator vouched for.
type playerRecord struct {
	ID      string
	Name    string
	Created time.Time
	// PurgeAt (Unix ns) is when the row is dropped: when the last token
	// seen for the player expires.
	PurgeAt int64
}

// ticketRecord is one matchmaking ticket.
type ticketRecord struct {
	ID     string
	Game   string
	Owner  string   // who created it
	Party  []string // Owner among them; kept together
	Skill  float64
	Region string
	Mode   string

	Created time.Time
	Expires time.Time // while searching
	Status  string

	// Set when matched: the room and each party member's seat.
	Room      string
	Seats     map[string]string
	MatchedAt time.Time

	// PurgeAt (Unix ns) is when a finished ticket is dropped; never while
	// searching.
	PurgeAt int64
}

// queueRecord says that Player waits in the searching ticket Ticket. One row
// per player is what makes "at most one ticket per player" cheap to check.
type queueRecord struct {
	Player string
	Ticket string
}

func storeSchema() *memdb.DBSchema {
	return &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		tablePlayers: {Name: tablePlayers, Indexes: map[string]*memdb.IndexSchema{
			"id":    index("id", false, strIndex[playerRecord](func(p *playerRecord) string { return p.ID })),
			"purge": index("purge", false, intIndex[playerRecord](func(p *playerRecord) int64 { return p.PurgeAt })),
		}},
		tableTickets: {Name: tableTickets, Indexes: map[string]*memdb.IndexSchema{
			"id":     index("id", false, strIndex[ticketRecord](func(t *ticketRecord) string { return t.ID })),
			"status": index("status", false, strIndex[ticketRecord](func(t *ticketRecord) string { return t.Status })),
			"purge":  index("purge", false, intIndex[ticketRecord](func(t *ticketRecord) int64 { return t.PurgeAt })),
		}},
		tableQueue: {Name: tableQueue, Indexes: map[string]*memdb.IndexSchema{
			"id": index("id", false, strIndex[queueRecord](func(q *queueRecord) string { return q.Player })),
		}},
	}}
}

func newStore() *memdb.MemDB {
	db, err := memdb.NewMemDB(storeSchema())
	if err != nil {
		panic("lobby: store schema: " + err.Error()) // a bug, caught by every test
	}
	return db
}

func getTicket(txn *memdb.Txn, id string) (*ticketRecord, error) {
	o, err := txn.First(tableTickets, "id", id)
	if err != nil {
		return nil, fmt.Errorf("ticket %q: %w", id, err)
	}
	if o == nil {
		return nil, nil
	}
	return o.(*ticketRecord), nil
}

func getPlayer(txn *memdb.Txn, id string) (*playerRecord, error) {
	o, err := txn.First(tablePlayers, "id", id)
	if err != nil || o == nil {
		return nil, err
	}
	return o.(*playerRecord), nil
}

func queuedIn(txn *memdb.Txn, player string) (string, error) {
	o, err := txn.First(tableQueue, "id", player)
	if err != nil || o == nil {
		return "", err
	}
	return o.(*queueRecord).Ticket, nil
}

// finishTicket stores t with a final status, dequeuing its party.
func finishTicket(txn *memdb.Txn, t *ticketRecord, status string, now time.Time, retention time.Duration) error {
	u := *t
	u.Status = status
	u.PurgeAt = now.Add(retention).UnixNano()
	for _, p := range t.Party {
		if err := txn.Delete(tableQueue, &queueRecord{Player: p, Ticket: t.ID}); err != nil && !errors.Is(err, memdb.ErrNotFound) {
			return err
		}
	}
	return txn.Insert(tableTickets, &u)
}
