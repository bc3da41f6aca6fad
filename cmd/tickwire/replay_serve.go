package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/tickwire/tickwire"
	"github.com/tickwire/tickwire/examples/shooter"
	"github.com/tickwire/tickwire/tick"
)

// replayGame is the game spectators of `tickwire replay -serve` join.
const replayGame = "replay"

// replayControlPath is the replay's control route: GET for its status,
// POST ?speed=X or ?seek=TICK to steer it.
const replayControlPath = "/replay/control"

// serveReplay plays the log at path to spectators on a Node at addr until
// ctx ends: a spectator joins a room of game "replay" like a player (the
// shooter's page does with ?game=replay) and gets the recorded room's
// state tick after tick; replayControlPath changes the speed and seeks.
func serveReplay(ctx context.Context, addr, path string, speed float64, ignoreVersion bool, stdout, stderr io.Writer) error {
	log, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	ctl := tick.NewReplayControl(speed)
	games := tick.NewRegistry()
	res, err := tick.RegisterReplay(games, replayGame, tick.DefaultRegistry(), log, ctl, tick.ReplayOptions{IgnoreVersion: ignoreVersion})
	if err != nil {
		return fmt.Errorf("replay %s: %w", path, err)
	}
	fmt.Fprintf(stdout, "%s:\n", path)
	if err := res.WriteReport(stdout); err != nil {
		return err
	}
	node, err := tickwire.NewNode(ctx, tickwire.Options{Addr: addr, Games: games, LogOutput: stderr, Name: "replay"})
	if err != nil {
		return err
	}
	node.Handle("GET "+shooter.Path, shooter.Page())
	node.Handle(replayControlPath, replayControl(ctl, res.Header.TickHz))
	if err := node.Start(); err != nil {
		_ = node.Shutdown(context.Background())
		return err
	}
	fmt.Fprintf(stdout, "serving the replay at %s: spectators join game %q", node.URL(), replayGame)
	if res.Header.Game == shooter.Name {
		fmt.Fprintf(stdout, " (%s%s?game=%s)", node.URL(), shooter.Path, replayGame)
	}
	fmt.Fprintf(stdout, "; %s steers it\n", node.URL()+replayControlPath)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), tickwire.ShutdownTimeout)
	defer cancel()
	return node.Shutdown(sctx)
}

// replayStatus is what replayControlPath answers.
type replayStatus struct {
	Tick    uint64  `json:"tick"`
	Ticks   uint64  `json:"ticks"`
	Speed   float64 `json:"speed"`
	Seconds float64 `json:"seconds"`
}

func replayControl(ctl *tick.ReplayControl, hz int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
		case http.MethodPost:
			q := r.URL.Query()
			if s := q.Get("speed"); s != "" {
				x, err := strconv.ParseFloat(s, 64)
				if err != nil || x < 0 || x > 64 {
					http.Error(w, "speed: want a number in [0, 64]", http.StatusBadRequest)
					return
				}
				ctl.SetSpeed(x)
			}
			if s := q.Get("seek"); s != "" {
				t, err := strconv.ParseUint(s, 10, 64)
				if err != nil || t > ctl.Ticks() {
					http.Error(w, fmt.Sprintf("seek: want a tick in [0, %d]", ctl.Ticks()), http.StatusBadRequest)
					return
				}
				ctl.Seek(t)
			}
		default:
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "GET or POST", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(replayStatus{Tick: ctl.Tick(), Ticks: ctl.Ticks(), Speed: ctl.Speed(), Seconds: float64(ctl.Tick()) / float64(hz)})
	})
}
