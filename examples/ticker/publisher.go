package ticker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Match is one simulated match as the feed carries it.
type Match struct {
	ID        string `json:"id"`
	League    string `json:"league"`
	Home      string `json:"home"`
	Away      string `json:"away"`
	HomeScore int    `json:"home_score"`
	AwayScore int    `json:"away_score"`
	Minute    int    `json:"minute"`
	// Status is "live" or "full time".
	Status string `json:"status"`
}

// Update is one message on ScoresChannel: a match's whole state after an
// event, so the latest update of each match is all a page needs (late
// joiners rebuild the board from the channel's history).
type Update struct {
	Match Match `json:"match"`
	// Event says what happened: "goal", "kick-off", "minute", "full time".
	Event string `json:"event"`
	// Text is a line for the page's feed, e.g. "77' GOAL! Lisbon 2–1 Porto".
	Text string `json:"text"`
}

// Publisher posts simulated score updates to a Tickwire server's HTTP
// publish API (POST /publish), as any backend would. It is not safe for
// concurrent use; Run owns it.
type Publisher struct {
	// URL is the server's base URL, e.g. "http://127.0.0.1:8080".
	URL string
	// Secret is the server's publish secret (server.Options.PublishSecret).
	Secret string
	// Interval is the time between two updates. Default 1s; a match
	// minute passes per update.
	Interval time.Duration
	// Seed makes the simulation repeatable. Default 1.
	Seed uint64
	// Client sends the requests. Default: a client with a 5s timeout.
	Client *http.Client
	// Logger receives one line per failed post (not per update).
	Logger zerolog.Logger

	rng     *rand.Rand
	matches []*Match
	failing bool
}

var fixtures = [][3]string{
	{"Premier", "Northgate", "Riverside"},
	{"Premier", "Harbour City", "Old Mill"},
	{"Liga", "Sierra", "Costa Azul"},
	{"Liga", "Valle Norte", "Puerto Real"},
	{"Serie", "Torre", "Lago Verde"},
	{"Serie", "Fiume", "Monte Alto"},
}

// Run posts updates until ctx ends, then returns nil. A failing post is
// logged once (until one succeeds again) and the simulation goes on.
func (p *Publisher) Run(ctx context.Context) error {
	if p.Interval <= 0 {
		p.Interval = time.Second
	}
	if p.Client == nil {
		p.Client = &http.Client{Timeout: 5 * time.Second}
	}
	t := time.NewTicker(p.Interval)
	defer t.Stop()
	for {
		if err := p.Step(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if !p.failing {
				p.Logger.Warn().Err(err).Msg("ticker: publish failed")
			}
			p.failing = true
		} else {
			p.failing = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Step advances the simulation by one event and posts it.
func (p *Publisher) Step(ctx context.Context) error {
	return p.post(ctx, p.next())
}

// next advances one match: a kick-off, a minute, a goal or full time.
func (p *Publisher) next() Update {
	if p.rng == nil {
		seed := p.Seed
		if seed == 0 {
			seed = 1
		}
		p.rng = rand.New(rand.NewPCG(seed, 0x71c4e8))
	}
	if p.matches == nil {
		for i, f := range fixtures {
			p.matches = append(p.matches, &Match{ID: fmt.Sprintf("m%d", i+1), League: f[0], Home: f[1], Away: f[2], Status: "scheduled"})
		}
	}
	m := p.matches[p.rng.IntN(len(p.matches))]
	switch {
	case m.Status == "scheduled" || m.Status == "full time":
		*m = Match{ID: m.ID, League: m.League, Home: m.Home, Away: m.Away, Status: "live", Minute: 1}
		return p.update(m, "kick-off", "Kick-off")
	case m.Minute >= 90:
		m.Status = "full time"
		return p.update(m, "full time", "Full time")
	}
	m.Minute += 1 + p.rng.IntN(6)
	m.Minute = min(m.Minute, 90)
	if p.rng.IntN(4) == 0 {
		if p.rng.IntN(2) == 0 {
			m.HomeScore++
		} else {
			m.AwayScore++
		}
		return p.update(m, "goal", "GOAL!")
	}
	return p.update(m, "minute", "")
}

func (p *Publisher) update(m *Match, event, what string) Update {
	text := fmt.Sprintf("%d' %s %d–%d %s", m.Minute, m.Home, m.HomeScore, m.AwayScore, m.Away)
	if what != "" {
		text = fmt.Sprintf("%d' %s %s %d–%d %s", m.Minute, what, m.Home, m.HomeScore, m.AwayScore, m.Away)
	}
	return Update{Match: *m, Event: event, Text: text}
}

// post sends one update as {"channel":"feed:scores","data":"<the update as JSON>"}.
func (p *Publisher) post(ctx context.Context, u Update) error {
	data, err := json.Marshal(u)
	if err != nil {
		return err
	}
	s := string(data)
	body, err := json.Marshal(map[string]*string{"channel": ptr(ScoresChannel), "data": &s})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(p.URL, "/")+"/publish", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+p.Secret)
	resp, err := p.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /publish: %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
