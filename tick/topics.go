package tick

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// topicView is one topic of a game with Topics and its subscribers this
// tick.
type topicView struct {
	view
	version uint64 // TopicVersion when the topic was last filled
	filled  bool
	subs    []*topicSub // rebuilt each tick, parallel to view.members
}

// topicSub is one player's subscription to one topic.
type topicSub struct {
	needSnap bool   // the next frame of this topic must be a snapshot
	mark     uint64 // the tick that last listed the topic for the player
}

// broadcastTopics is broadcast for games with Topics: it asks every player
// for its topics, refills and diffs each topic whose version moved (once,
// whoever receives it), and sends every subscriber the snapshot, the delta
// or nothing; then unsubscribed frames for topics players lost, and an
// empty frame to players whose inputs were applied but got no frame.
func (rm *room) broadcastTopics() {
	bc := &rm.bc
	for _, tv := range bc.topics {
		tv.members, tv.subs = tv.members[:0], tv.subs[:0]
	}
	mark := rm.ticks + 1 // never 0, the zero value of a fresh topicSub
	for _, s := range rm.order {
		topics, ok := rm.callTopics(s.id, bc.tbuf[:0])
		if !ok {
			return
		}
		bc.tbuf = topics[:0]
		if s.topics == nil {
			s.topics = map[string]*topicSub{}
		}
		for _, t := range topics {
			sub := s.topics[t]
			if sub == nil {
				sub = &topicSub{needSnap: true}
				s.topics[t] = sub
				if i := slices.Index(s.unsub, t); i >= 0 {
					s.unsub = slices.Delete(s.unsub, i, i+1) // the snapshot replaces the replica
				}
			} else if sub.mark == mark {
				continue // listed twice
			}
			sub.mark = mark
			tv := bc.topics[t]
			if tv == nil {
				tv = &topicView{view: view{tracker: protocol.NewTracker(rm.game.newState()), scratch: rm.game.newState()}}
				bc.topics[t] = tv
			}
			tv.members = append(tv.members, s)
			tv.subs = append(tv.subs, sub)
		}
		for t, sub := range s.topics {
			if sub.mark != mark {
				delete(s.topics, t)
				s.unsub = append(s.unsub, t)
			}
		}
	}
	for t, tv := range bc.topics {
		if len(tv.members) == 0 {
			delete(bc.topics, t) // nobody receives it any more
			continue
		}
		if !rm.sendTopic(t, tv) {
			return
		}
	}
	for _, s := range rm.order {
		if len(s.unsub) > 0 {
			if !rm.sendUnsubscribed(s) {
				return
			}
		}
	}
	var emptyFrame []byte
	for _, s := range rm.order {
		if !s.seqDirty {
			continue
		}
		if emptyFrame == nil {
			var err error
			if emptyFrame, err = bc.encodeEmpty(); err != nil {
				rm.fail("Tick", fmt.Errorf("encode frame: %w", err), nil)
				return
			}
		}
		s.peer.SendState(emptyFrame, s.lastSeq, false, "")
		s.seqDirty = false
	}
}

// sendTopic refills and diffs topic t when its version moved and sends its
// subscribers what they need. Every frame carries the receiver's seq, so a
// receiver sent anything here needs no empty frame this tick.
func (rm *room) sendTopic(t string, tv *topicView) bool {
	bc := &rm.bc
	version, ok := rm.callTopicVersion(t)
	if !ok {
		return false
	}
	var delta *tickwirev1.Delta
	if !tv.filled || version != tv.version {
		proto.Reset(tv.scratch)
		if !rm.callFillTopic(t, tv.scratch) {
			return false
		}
		var err error
		if delta, err = tv.tracker.Update(tv.scratch); err != nil {
			rm.fail("Tick", fmt.Errorf("diff topic %q: %w", t, err), nil)
			return false
		}
		tv.version, tv.filled = version, true
	}
	bc.frame.Topic, bc.frame.Unsubscribed = t, false
	var snapFrame, deltaFrame []byte
	var err error
	for i, s := range tv.members {
		sub := tv.subs[i]
		switch {
		case sub.needSnap:
			if snapFrame == nil {
				if snapFrame, err = bc.encodeSnapshot(tv.scratch); err != nil {
					rm.fail("Tick", fmt.Errorf("encode snapshot of topic %q: %w", t, err), nil)
					return false
				}
			}
			if s.peer.SendState(snapFrame, s.lastSeq, true, t) {
				sub.needSnap = false
				s.seqDirty = false
			}
		case delta != nil:
			if deltaFrame == nil {
				if deltaFrame, err = bc.encodeDelta(delta); err != nil {
					rm.fail("Tick", fmt.Errorf("encode delta of topic %q: %w", t, err), nil)
					return false
				}
			}
			if s.peer.SendState(deltaFrame, s.lastSeq, false, t) {
				s.seqDirty = false
			} else {
				sub.needSnap = true
			}
		}
	}
	return true
}

// sendUnsubscribed tells s which topics it no longer receives; a frame its
// peer drops is sent again next tick.
func (rm *room) sendUnsubscribed(s *slot) bool {
	bc := &rm.bc
	kept := s.unsub[:0]
	for _, t := range s.unsub {
		bc.frame.Topic, bc.frame.Unsubscribed, bc.frame.Body = t, true, nil
		b, err := protocol.Append(bc.snapBuf[:0], &bc.env)
		bc.snapBuf = b
		bc.frame.Unsubscribed = false
		if err != nil {
			rm.fail("Tick", fmt.Errorf("encode unsubscribed frame: %w", err), nil)
			return false
		}
		if s.peer.SendState(b, s.lastSeq, true, t) {
			s.seqDirty = false
		} else {
			kept = append(kept, t)
		}
	}
	clear(s.unsub[len(kept):])
	s.unsub = kept
	return true
}
