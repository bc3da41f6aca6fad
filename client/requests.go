package client

import (
	"context"
	"sync"

	"github.com/tickwire/tickwire/protocol"
)

// Requests matches replies to requests by Envelope.ref. Conn uses it; a
// connection type of one's own (the bench's lean clients) can too. The
// zero value is ready; it is safe for concurrent use.
type Requests struct {
	mu      sync.Mutex
	pending map[uint32]chan *protocol.Envelope
	next    uint32
}

// Do gives env a fresh ref, sends it with send and waits for the reply
// carrying that ref, for done (the connection ended: closed gives the
// error) or for ctx. An Error reply is returned with a *protocol.Error.
func (r *Requests) Do(ctx context.Context, env *protocol.Envelope, send func(*protocol.Envelope) error, done <-chan struct{}, closed func() error) (*protocol.Envelope, error) {
	ch := make(chan *protocol.Envelope, 1)
	r.mu.Lock()
	if r.pending == nil {
		r.pending = map[uint32]chan *protocol.Envelope{}
	}
	if r.next++; r.next == 0 {
		r.next = 1
	}
	ref := r.next
	r.pending[ref] = ch
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.pending, ref)
		r.mu.Unlock()
	}()
	env.Ref = ref
	if err := send(env); err != nil {
		return nil, err
	}
	select {
	case reply := <-ch:
		if e := reply.GetError(); e != nil {
			return reply, &protocol.Error{Code: e.Code, Msg: e.Message, URL: e.Url, RoomID: e.RoomId}
		}
		return reply, nil
	case <-done:
		return nil, closed()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Reply hands env to the request waiting for its ref and reports whether
// one was.
func (r *Requests) Reply(env *protocol.Envelope) bool {
	if env.Ref == 0 {
		return false
	}
	r.mu.Lock()
	ch, ok := r.pending[env.Ref]
	delete(r.pending, env.Ref)
	r.mu.Unlock()
	if ok {
		ch <- env
	}
	return ok
}
