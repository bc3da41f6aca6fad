package lobby

import (
	"time"

	memdb "github.com/hashicorp/go-memdb"
)

// sweepRetry is how soon the janitor tries again after a directory error.
const sweepRetry = time.Second

// runJanitor is the goroutine that drops what expired: lapsed seat
// reservations and remembered seat nonces (Directory.Sweep), idle managed
// rooms (it stops them), finished tickets past Options.TicketRetention and
// players whose last token expired. It sleeps until the earliest of those
// is due or the directory changes; it never polls.
func (l *Lobby) runJanitor() {
	timer := l.clock.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		now := l.now()
		var next time.Time
		soonest := func(t time.Time) {
			if !t.IsZero() && (next.IsZero() || t.Before(next)) {
				next = t
			}
		}
		res, err := l.dir.Sweep(l.ctx, now, l.opts.IdleRoomTTL)
		if err != nil {
			l.log.Error().Err(err).Msg("sweep directory")
			soonest(now.Add(sweepRetry))
		}
		for _, r := range res.Closed {
			if h, err := l.rooms.Get(r.ID); err == nil {
				l.log.Debug().Str("room", r.ID).Msg("closing idle room")
				l.closeRoom(h)
			}
		}
		soonest(res.Next)
		storeNext, storeChanged := l.purgeStore(now)
		soonest(storeNext)

		var fire <-chan time.Time
		if !next.IsZero() {
			timer.Reset(max(next.Sub(l.now()), 0))
			fire = timer.C()
		}
		select {
		case <-res.Changed: // nil after an error: never ready
		case <-storeChanged[0]: // nil while a purge is pending: never ready
		case <-storeChanged[1]:
		case <-fire:
		case <-l.ctx.Done():
			return
		}
		timer.Stop()
	}
}

// purgeStore drops finished tickets and players whose time is up. It returns
// when the next one is due, and a channel closed when a row may become due
// earlier: only while none is pending, because purge times are set to now
// plus a constant and so only grow.
func (l *Lobby) purgeStore(now time.Time) (next time.Time, changed [2]<-chan struct{}) {
	nowNs := now.UnixNano()
	for i, table := range []string{tableTickets, tablePlayers} {
		var due []any
		txn := l.db.Txn(false)
		it, err := txn.Get(table, "purge")
		if err != nil {
			l.log.Error().Err(err).Str("table", table).Msg("purge")
			continue
		}
		pending := false
		for o := it.Next(); o != nil; o = it.Next() {
			at := purgeAt(o)
			if at == never {
				break
			}
			if at > nowNs {
				pending = true
				if t := time.Unix(0, at); next.IsZero() || t.Before(next) {
					next = t
				}
				break
			}
			due = append(due, o)
		}
		if !pending { // after a purge below, it is closed at once: fine
			changed[i] = it.WatchCh()
		}
		if len(due) > 0 {
			l.deleteRows(table, due)
		}
	}
	return next, changed
}

func purgeAt(o any) int64 {
	switch r := o.(type) {
	case *ticketRecord:
		return r.PurgeAt
	case *playerRecord:
		return r.PurgeAt
	}
	return never
}

func (l *Lobby) deleteRows(table string, rows []any) {
	txn := l.db.Txn(true)
	defer txn.Abort()
	for _, o := range rows {
		if err := txn.Delete(table, o); err != nil && err != memdb.ErrNotFound {
			l.log.Error().Err(err).Str("table", table).Msg("purge")
			return
		}
	}
	txn.Commit()
}
