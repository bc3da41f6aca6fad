package main

import (
	"context"
	"slices"

	"github.com/tickwire/tickwire/protocol"
)

// scenario is one kind of load: what each client does once its connection
// is open. Adding one (the crossword, say) means writing a type with these
// methods and an entry in scenarios; the fleet, the input scheduler, the
// latency accounting and the report do the rest.
type scenario interface {
	// join seats client p after its connection opened (or does nothing,
	// for a scenario without rooms). It runs on one of the dialer
	// goroutines and may block until ctx ends; it sets p.roomID.
	join(ctx context.Context, r *run, p *player) error
	// input returns the game's encoded input message for p's input seq;
	// it is called on a scheduler goroutine and the result is not kept.
	input(p *player, seq uint64) []byte
	// sendsInputs says whether clients send inputs at -input-hz. Clients
	// of a scenario that does not only ping.
	sendsInputs() bool
	// rooms is the number of rooms the scenario uses.
	rooms() int
}

// envelopeScenario is a scenario whose clients read what the server
// sends (the crossword's bots keep topic replicas). onEnvelope runs on a
// client poller for every Envelope, with its size on the wire (payload
// bytes, as the server sent them) and the time the generic accounting read
// (now, on the run clock); it must not block.
type envelopeScenario interface {
	onEnvelope(p *player, env *protocol.Envelope, size int, now int64)
}

// backgroundScenario is a scenario with work of its own beside the
// clients (the crossword's planner): start runs it for the whole run and
// returns what stops it and waits for it.
type backgroundScenario interface {
	start(ctx context.Context, r *run) (stop func())
}

// reportingScenario adds its own block to the report.
type reportingScenario interface {
	fillReport(r *run, rep *Report)
}

// scenarioDef registers a scenario under its -scenario name.
type scenarioDef struct {
	// about is one line for -help and the README.
	about string
	// unavailable, when set, says why the scenario cannot run yet.
	unavailable string
	// new returns the scenario for one run of c.
	new func(c *config) scenario
}

// scenarios is every -scenario value.
var scenarios = map[string]scenarioDef{
	"arena": {
		about: "players in arena rooms (clients/rooms each) send one input every 1/input-hz s",
		new:   newArenaScenario,
	},
	"floor": {
		about: "the socket floor: arena's connections and message rates against a bare nbio WebSocket server (no rooms, no protobuf)",
		new:   newFloorScenario,
	},
	"idle": {
		about: "connections that only keep alive (a Ping every 10 s); reports server RSS per connection",
		new:   func(*config) scenario { return idleScenario{} },
	},
	"soak": {
		about: "arena rooms whose bots churn for -duration (leave and join another room, reconnect, drop and come back); samples goroutines, sessions, RSS and tick p99 every -sample-every and accounts for every input",
		new:   newSoakScenario,
	},
	"failover": {
		about: "a cluster on this machine (3 NATS servers in-process, -nodes demo nodes): arena bots spread over the nodes, one node killed or drained at -kill-at; the bots follow their rooms (client.Rejoin) and the report says how long they were out and what they lost",
		new:   newFailoverScenario,
	},
	"crossword": {
		about: "bots in the one crossword world pan their view and play words (a play attempt with probability -play-share per input)",
		new:   newCrosswordScenario,
	},
}

func scenarioNames() []string {
	var names []string
	for n := range scenarios {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// idleScenario holds connections open without joining anything.
type idleScenario struct{}

var _ scenario = idleScenario{}

func (idleScenario) join(context.Context, *run, *player) error { return nil }
func (idleScenario) input(*player, uint64) []byte              { return nil }
func (idleScenario) sendsInputs() bool                         { return false }
func (idleScenario) rooms() int                                { return 0 }
