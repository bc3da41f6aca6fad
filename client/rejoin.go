package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// Rejoin gets a player back into room roomID of a cluster after his
// connection to the room's node was lost (the node died, or shut down and
// migrated the room): it asks the lobby of a node in nodes, over /ws, for
// a seat in the room (LobbyRequest join{room_id}: he still holds his place
// there, so it takes no new one), follows the Grant's url to the node now
// running the room, and joins there with the seat. nodes are base URLs
// (http(s)://host:port) of any of the cluster's nodes, tried in turn;
// token is the player's lobby token. It tries again until it is seated
// or ctx ends: a room being restored is not joinable for a moment. The
// first pause is retry (0: 100 ms); each failed round doubles it, up to
// RejoinMaxRetry (or retry, if that is longer), and every pause is
// jittered down by up to half (so that none is longer than the ceiling). A whole room's players lose their node at the same
// instant: at a fixed 100 ms, the bench's 100 players of a killed node
// sent 1,000 lobby joins a second into the cluster while it was
// restoring their rooms, which starved the restores (10 of 100 players
// back, against 100 of 100 with the pauses spread). It returns the open
// connection and the Joined envelope; the room's next state frame is a
// snapshot.
func Rejoin(ctx context.Context, nodes []string, token, roomID string, retry time.Duration, opts Options) (*Conn, *protocol.Envelope, error) {
	if len(nodes) == 0 {
		return nil, nil, errors.New("client: Rejoin needs a node URL")
	}
	if retry <= 0 {
		retry = 100 * time.Millisecond
	}
	ceiling := max(retry, RejoinMaxRetry)
	var last error
	for {
		for _, base := range nodes {
			c, joined, err := rejoinVia(ctx, base, token, roomID, opts)
			if err == nil {
				return c, joined, nil
			}
			last = err
		}
		t := time.NewTimer(jitter(retry))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, fmt.Errorf("rejoin room %s: %w (last error: %w)", roomID, ctx.Err(), last)
		case <-t.C:
		}
		retry = min(2*retry, ceiling)
	}
}

// RejoinMaxRetry is the longest pause Rejoin's backoff reaches (unless its
// retry argument is longer): a restored room is found at most about this
// long after it is back.
const RejoinMaxRetry = time.Second

// jitter is d scaled by a random factor in [0.5, 1): spread, and never
// longer than d (a ±50 % spread put the slowest of 100 players 1.5 s
// behind his restored room).
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2)
}

// rejoinVia asks the lobby of the node at base for a seat in roomID and
// joins with it.
func rejoinVia(ctx context.Context, base, token, roomID string, opts Options) (*Conn, *protocol.Envelope, error) {
	c, err := dialToken(ctx, base, token, opts)
	if err != nil {
		return nil, nil, err
	}
	reply, err := c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_Lobby{Lobby: &tickwirev1.LobbyRequest{
		Op: &tickwirev1.LobbyRequest_Join{Join: &tickwirev1.LobbyJoin{RoomId: roomID}}}}})
	grant := reply.GetLobbyReply().GetGrant()
	if err == nil && grant.GetSeat() == "" {
		err = errors.New("lobby reply without a seat")
	}
	if err != nil {
		_ = c.Close(ctx)
		return nil, nil, fmt.Errorf("seat from %s: %w", base, err)
	}
	if u := grant.GetUrl(); u != "" && strings.TrimRight(u, "/") != strings.TrimRight(base, "/") {
		_ = c.Close(ctx)
		if c, err = dialToken(ctx, u, token, opts); err != nil {
			return nil, nil, err
		}
	}
	joined, err := c.Request(ctx, &protocol.Envelope{Msg: &tickwirev1.Envelope_JoinRoom{JoinRoom: &tickwirev1.JoinRoom{RoomId: roomID, Seat: grant.GetSeat()}}})
	if err == nil && joined.GetJoined() == nil {
		err = errors.New("no Joined in reply")
	}
	if err != nil {
		_ = c.Close(ctx)
		return nil, nil, fmt.Errorf("join room %s: %w", roomID, err)
	}
	return c, joined, nil
}

// dialToken opens /ws on the node at base as the player of token and reads
// the Welcome.
func dialToken(ctx context.Context, base, token string, opts Options) (*Conn, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("node URL %q: want http(s)://host:port", base)
	}
	scheme := "ws"
	if u.Scheme == "https" || u.Scheme == "wss" {
		scheme = "wss"
	}
	c, err := Dial(ctx, scheme+"://"+u.Host+"/ws?token="+url.QueryEscape(token), opts)
	if err != nil {
		return nil, err
	}
	if opts.OnEnvelope == nil { // else the Welcome goes there
		if _, err := c.Recv(ctx); err != nil {
			_ = c.Close(ctx)
			return nil, err
		}
	}
	return c, nil
}
