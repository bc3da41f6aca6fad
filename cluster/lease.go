package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// lease is a leadership held in a key of the leases bucket, whose keys age
// out TTL after their last write (MaxAge). The holder renews it every
// TTL/3 with a write that expects the revision it last wrote; anyone else
// may take it only once the key is gone: when the holder stopped renewing
// for a TTL (it died, or lost NATS), or released it. A holder that cannot
// renew stops acting as leader after 2/3 of the TTL, before anyone else
// can take over; and every write the leader makes expects revisions, so
// even two leaders for a moment could not apply one change twice.
type lease struct {
	st       *store
	key      string
	holder   leaseHolder
	ttl      time.Duration
	rev      uint64
	held     bool
	renewed  time.Time
	observed string // who holds it, as last read
}

type leaseHolder struct {
	Node     string `json:"node"`
	Instance string `json:"instance"`
}

func newLease(st *store, name string, holder leaseHolder, ttl time.Duration) *lease {
	return &lease{st: st, key: "lease." + enc(name), holder: holder, ttl: ttl}
}

// step renews or tries to take the lease once and reports whether this
// node holds it now. Only the lease's owner goroutine calls it.
func (l *lease) step(ctx context.Context, now time.Time) bool {
	if l.held {
		rev, err := l.st.commit(ctx, put(l.key, mustJSON(l.holder), l.rev))
		switch {
		case err == nil:
			l.rev, l.renewed = rev, now
		case errors.Is(err, errConflict):
			l.held = false // someone took it: ours had aged out
		}
		return l.valid(now)
	}
	e, err := l.st.get(ctx, l.key)
	if err != nil {
		return false
	}
	if e.OK {
		var h leaseHolder
		if json.Unmarshal(e.Value, &h) == nil {
			l.observed = h.Node
		}
		if h != l.holder {
			return false
		}
		// Ours, from before a failed renewal: go on with it.
	}
	rev, err := l.st.commit(ctx, put(l.key, mustJSON(l.holder), e.Rev))
	if err != nil {
		return false
	}
	l.rev, l.renewed, l.held, l.observed = rev, now, true, l.holder.Node
	return true
}

// valid reports whether the lease is held and was renewed recently enough
// to act on.
func (l *lease) valid(now time.Time) bool {
	if l.held && now.Sub(l.renewed) > l.ttl*2/3 {
		l.held = false
	}
	return l.held
}

// until is when the lease stops being valid to act on unless renewed
// (zero when not held): 2/3 of the TTL after the renewal's start, a third
// of a TTL before anyone else can take it. Only the owner goroutine calls
// it.
func (l *lease) until() time.Time {
	if !l.held {
		return time.Time{}
	}
	return l.renewed.Add(l.ttl * 2 / 3)
}

// release gives the lease up (graceful shutdown), so another node takes
// over at once instead of after a TTL.
func (l *lease) release(ctx context.Context) {
	if !l.held {
		return
	}
	l.held = false
	_, _ = l.st.commit(ctx, del(l.key, l.rev))
}
