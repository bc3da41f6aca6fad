package tick

// Every call into the game goes through one of the call* methods below, on
// the room's goroutine: each marks the room as inside the game (so Kick and
// End wait until the method returns) and turns a panic into the end of this
// room alone.

import (
	"errors"
	"fmt"
	"runtime/debug"

	"google.golang.org/protobuf/proto"

	"github.com/tickwire/tickwire/protocol"
)

// fail records that the game broke, so the room ends with ROOM_FAILED.
// The first failure wins and is logged once.
func (rm *room) fail(method string, err error, stack []byte) {
	if rm.failure != nil {
		return
	}
	rm.m.failed.Inc()
	ev := rm.log.Error().Str("method", method).Err(err)
	if stack != nil {
		ev = ev.Bytes("stack", stack)
	}
	ev.Msg("game failed; ending the room")
	rm.failure = &endCause{
		code:   protocol.CodeRoomFailed,
		reason: "room ended: game failed in " + method,
		err:    fmt.Errorf("room %s: game failed in %s: %w", rm.id, method, errors.Join(ErrRoomFailed, err)),
	}
}

// recoverGame is deferred around every call into the game: it turns a panic
// into a room failure and re-enables Kick and End.
func (rm *room) recoverGame(method string) {
	rm.inGame = false
	if v := recover(); v != nil {
		rm.fail(method, fmt.Errorf("panic: %v", v), debug.Stack())
	}
}

func (rm *room) callInit() error {
	err := func() error {
		rm.inGame = true
		defer rm.recoverGame("Init")
		if err := rm.game.init(); err != nil {
			return err
		}
		if rm.restore == nil {
			return nil
		}
		st := rm.game.state()
		proto.Reset(st)
		if err := proto.Unmarshal(rm.restore, st); err != nil {
			return fmt.Errorf("restore state: %w", err)
		}
		rm.restore = nil
		return rm.game.restore()
	}()
	switch {
	case rm.failure != nil:
		return rm.failure.err
	case err != nil:
		return fmt.Errorf("init room of %s: %w", rm.info.Name, err)
	}
	return nil
}

func (rm *room) callJoin(p PlayerID) error {
	err := func() error {
		rm.inGame = true
		defer rm.recoverGame("Join")
		return rm.game.join(p)
	}()
	switch {
	case rm.failure != nil:
		return ErrRoomFailed
	case err == nil:
		return nil
	}
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return err
	}
	return &protocol.Error{Code: protocol.CodeGameRefused, Msg: err.Error()}
}

func (rm *room) callLeave(p PlayerID) {
	func() {
		rm.inGame = true
		defer rm.recoverGame("Leave")
		rm.game.leave(p)
	}()
	rm.flushKicks()
}

func (rm *room) callInput(p PlayerID, in proto.Message) {
	func() {
		rm.inGame = true
		defer rm.recoverGame("Input")
		rm.game.input(p, in)
	}()
	rm.flushKicks()
}

func (rm *room) callTick() {
	func() {
		rm.inGame = true
		defer rm.recoverGame("Tick")
		rm.game.tick(rm.period)
	}()
	rm.flushKicks()
}

func (rm *room) callView(p PlayerID) (key string, ok bool) {
	rm.inGame = true
	defer rm.recoverGame("View")
	return rm.game.view(p), true
}

func (rm *room) callFillView(key string, dst proto.Message) (ok bool) {
	rm.inGame = true
	defer rm.recoverGame("FillView")
	rm.game.fillView(key, dst)
	return true
}

func (rm *room) callTopics(p PlayerID, dst []string) (topics []string, ok bool) {
	rm.inGame = true
	defer rm.recoverGame("Topics")
	return rm.game.topicsOf(p, dst), true
}

func (rm *room) callTopicVersion(t string) (v uint64, ok bool) {
	rm.inGame = true
	defer rm.recoverGame("TopicVersion")
	return rm.game.topicVersion(t), true
}

func (rm *room) callFillTopic(t string, dst proto.Message) (ok bool) {
	rm.inGame = true
	defer rm.recoverGame("FillTopic")
	rm.game.fillTopic(t, dst)
	return true
}

func (rm *room) callClose() {
	rm.inGame = true
	defer func() {
		rm.inGame = false
		if v := recover(); v != nil {
			// The room is ending anyway; log without a second stack.
			rm.log.Error().Str("method", "Close").Interface("panic", v).Msg("game panicked while closing")
		}
	}()
	rm.game.close()
}
