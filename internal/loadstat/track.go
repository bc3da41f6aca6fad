package loadstat

// InputTrack is the coordinated-omission-corrected account of one client's
// inputs. Input seq k (from 1) is due at Base + (k-1)·Period whether or not
// the sender managed to send it then; its latency runs from that due time
// to the first state frame whose last_input_seq is >= k. A server (or load
// generator) that stalls therefore shows every input that should have been
// sent during the stall as late, not just the one that was waiting.
//
// It remembers how late the sender actually sent the last few inputs, so
// the latency from the real send time (what a naive harness reports) can
// be shown next to the corrected one. An InputTrack is not safe for
// concurrent use: its owner locks it.
type InputTrack struct {
	Base   int64  // run-clock ns at which seq 1 is due
	Period int64  // ns between inputs
	Sent   uint64 // highest seq handed to the socket
	Acked  uint64 // highest seq a state frame covered
	lag    [lagSlots]int64
}

// lagSlots is how many inputs in flight keep their send lag.
const lagSlots = 32

// Due is when input seq k was scheduled.
func (t *InputTrack) Due(k uint64) int64 { return t.Base + int64(k-1)*t.Period }

// NoteSent records that seq k went out at now.
func (t *InputTrack) NoteSent(k uint64, now int64) {
	t.Sent = k
	t.lag[k%lagSlots] = now - t.Due(k)
}

// Ack applies a state frame received at now that covers inputs up to l,
// calling each(k, latency, sendLag) for every input it newly acknowledges
// (sendLag is -1 when it was forgotten). It returns how many it acknowledged.
func (t *InputTrack) Ack(l uint64, now int64, each func(k uint64, latency, sendLag int64)) int {
	hi := min(l, t.Sent) // a seq beyond what we sent cannot be ours
	if hi <= t.Acked {
		return 0
	}
	from := t.Acked + 1
	t.Acked = hi
	for k := from; k <= hi; k++ {
		lag := int64(-1)
		if t.Sent-k < lagSlots {
			lag = t.lag[k%lagSlots]
		}
		each(k, now-t.Due(k), lag)
	}
	return int(hi - from + 1)
}

// firstDueAtOrAfter is the first seq due at or after time x.
func (t *InputTrack) firstDueAtOrAfter(x int64) uint64 {
	if x <= t.Base {
		return 1
	}
	return 1 + uint64((x-t.Base+t.Period-1)/t.Period)
}

// Window counts the inputs due in [from, to) that were sent, and those of
// them that were never acknowledged (lost).
func (t *InputTrack) Window(from, to int64) (sent, lost uint64) {
	if t.Period <= 0 { // never scheduled: no inputs
		return 0, 0
	}
	lo := t.firstDueAtOrAfter(from)
	hi := min(t.firstDueAtOrAfter(to)-1, t.Sent)
	if hi < lo {
		return 0, 0
	}
	sent = hi - lo + 1
	if first := max(lo, t.Acked+1); first <= hi {
		lost = hi - first + 1
	}
	return sent, lost
}
