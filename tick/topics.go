package tick

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	tickwirev1 "github.com/tickwire/tickwire/proto/tickwire/v1"
	"github.com/tickwire/tickwire/protocol"
)

// topicView is one topic of a game with Topics and its subscribers.
// Membership is kept across ticks and changed only when a player's list of
// topics changes, so a tick costs one comparison per player whose view
// stayed put, plus one refill and diff per changed topic.
type topicView struct {
	view
	name    string
	version uint64 // TopicVersion when the topic was last filled
	filled  bool
	subs    []*topicSub // parallel to view.members
	snaps   int         // subscribers with needSnap set
}

// topicSub is one player's subscription to one topic.
type topicSub struct {
	tv       *topicView
	idx      int  // position in tv.members and tv.subs
	needSnap bool // the next frame of this topic must be a snapshot
}

func (tv *topicView) add(s *slot) *topicSub {
	sub := &topicSub{tv: tv, idx: len(tv.members)}
	tv.members = append(tv.members, s)
	tv.subs = append(tv.subs, sub)
	tv.setNeedSnap(sub, true)
	return sub
}

func (tv *topicView) remove(sub *topicSub) {
	tv.setNeedSnap(sub, false)
	last := len(tv.members) - 1
	if i := sub.idx; i != last {
		tv.members[i], tv.subs[i] = tv.members[last], tv.subs[last]
		tv.subs[i].idx = i
	}
	tv.members[last], tv.subs[last] = nil, nil
	tv.members, tv.subs = tv.members[:last], tv.subs[:last]
}

func (tv *topicView) setNeedSnap(sub *topicSub, v bool) {
	if sub.needSnap != v {
		sub.needSnap = v
		if v {
			tv.snaps++
		} else {
			tv.snaps--
		}
	}
}

// slotTopics is what a slot of a game with Topics holds.
type slotTopics struct {
	list  []string             // the topics as Topics last listed them
	subs  map[string]*topicSub // by topic
	unsub []string             // topics lost whose unsubscribed frame is not yet accepted
}

// broadcastTopics is broadcast for games with Topics: it asks every player
// for its topics and updates the memberships of those whose list changed,
// refills and diffs each topic whose version moved (once, whoever receives
// it), and sends every subscriber the snapshot or delta it needs; then
// unsubscribed frames for topics players lost, and an empty frame to
// players whose inputs were applied but who got no frame.
func (rm *room) broadcastTopics() {
	bc := &rm.bc
	for _, s := range rm.order {
		list, ok := rm.callTopics(s.id, bc.tbuf[:0])
		if !ok {
			return
		}
		bc.tbuf = list[:0]
		if !slices.Equal(list, s.tp.list) {
			rm.resubscribe(s, list)
		}
	}
	for t, tv := range bc.topics {
		if len(tv.members) == 0 {
			delete(bc.topics, t) // nobody receives it any more
			continue
		}
		if !rm.sendTopic(tv) {
			return
		}
	}
	for _, s := range rm.order {
		if len(s.tp.unsub) > 0 && !rm.sendUnsubscribed(s) {
			return
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

// resubscribe makes list s's topics: it joins the new ones (a snapshot is
// due) and leaves the others (an unsubscribed frame is due).
func (rm *room) resubscribe(s *slot, list []string) {
	tp := &s.tp
	if tp.subs == nil {
		tp.subs = map[string]*topicSub{}
	}
	keep := make(map[string]bool, len(list))
	for _, t := range list {
		keep[t] = true
		if tp.subs[t] != nil {
			continue
		}
		tv := rm.bc.topics[t]
		if tv == nil {
			tv = &topicView{name: t, view: view{tracker: protocol.NewTracker(rm.game.newState()), scratch: rm.game.newState()}}
			rm.bc.topics[t] = tv
		}
		tp.subs[t] = tv.add(s)
		if i := slices.Index(tp.unsub, t); i >= 0 {
			tp.unsub = slices.Delete(tp.unsub, i, i+1) // the snapshot replaces the replica
		}
	}
	for t, sub := range tp.subs {
		if !keep[t] {
			sub.tv.remove(sub)
			delete(tp.subs, t)
			tp.unsub = append(tp.unsub, t)
		}
	}
	tp.list = append(tp.list[:0], list...)
}

// dropTopics ends every subscription of s, which left the room.
func (rm *room) dropTopics(s *slot) {
	for _, sub := range s.tp.subs {
		sub.tv.remove(sub)
	}
	s.tp = slotTopics{}
}

// resetTopics makes every topic of s due for a snapshot: its new peer (a
// reconnection) holds no replica of any.
func (rm *room) resetTopics(s *slot) {
	for _, sub := range s.tp.subs {
		sub.tv.setNeedSnap(sub, true)
	}
	s.tp.unsub = nil
}

// sendTopic refills and diffs tv when its version moved and sends its
// subscribers what they need. Every frame carries the receiver's seq, so a
// receiver sent anything here needs no empty frame this tick.
func (rm *room) sendTopic(tv *topicView) bool {
	bc := &rm.bc
	version, ok := rm.callTopicVersion(tv.name)
	if !ok {
		return false
	}
	var delta *tickwirev1.Delta
	if !tv.filled || version != tv.version {
		proto.Reset(tv.scratch)
		if !rm.callFillTopic(tv.name, tv.scratch) {
			return false
		}
		var err error
		if delta, err = tv.tracker.Update(tv.scratch); err != nil {
			rm.fail("Tick", fmt.Errorf("diff topic %q: %w", tv.name, err), nil)
			return false
		}
		tv.version, tv.filled = version, true
	}
	if delta == nil && tv.snaps == 0 {
		return true
	}
	bc.frame.Topic, bc.frame.Unsubscribed = tv.name, false
	var snapFrame, deltaFrame []byte
	var err error
	for i, s := range tv.members {
		sub := tv.subs[i]
		switch {
		case sub.needSnap:
			if snapFrame == nil {
				if snapFrame, err = bc.encodeSnapshot(tv.scratch); err != nil {
					rm.fail("Tick", fmt.Errorf("encode snapshot of topic %q: %w", tv.name, err), nil)
					return false
				}
			}
			if s.peer.SendState(snapFrame, s.lastSeq, true, tv.name) {
				tv.setNeedSnap(sub, false)
				s.seqDirty = false
			}
		case delta != nil:
			if deltaFrame == nil {
				if deltaFrame, err = bc.encodeDelta(delta); err != nil {
					rm.fail("Tick", fmt.Errorf("encode delta of topic %q: %w", tv.name, err), nil)
					return false
				}
			}
			if s.peer.SendState(deltaFrame, s.lastSeq, false, tv.name) {
				s.seqDirty = false
			} else {
				tv.setNeedSnap(sub, true)
			}
		}
	}
	return true
}

// sendUnsubscribed tells s which topics it no longer receives; a frame its
// peer drops is sent again next tick.
func (rm *room) sendUnsubscribed(s *slot) bool {
	bc := &rm.bc
	kept := s.tp.unsub[:0]
	for _, t := range s.tp.unsub {
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
	clear(s.tp.unsub[len(kept):])
	s.tp.unsub = kept
	return true
}
