// Package abi holds the names and numbers of the ABI between wasmgame's
// host and a guest module built with wasmgame/guest, so the two sides
// cannot drift apart. docs/wasm.md describes the ABI in prose.
package abi

// Exports of a guest module (all functions).
const (
	// ExportVersion is a function of no arguments whose presence marks a
	// guest of this ABI version.
	ExportVersion = "tickwire_abi_v1"
	// ExportBuffer (size u32) -> ptr u32 returns a guest buffer of at least
	// size bytes for the host to write the next call's bytes into. The
	// address stays valid until the next ExportBuffer call.
	ExportBuffer = "tickwire_buffer"
	// ExportInit (periodNanos i64, nowUnixNano i64) -> result: Game.Init.
	ExportInit = "tickwire_init"
	// ExportRestore (stateLen u32) -> result: the state's bytes are in the
	// buffer; the guest takes them as its state, then Restorer.Restore.
	ExportRestore = "tickwire_restore"
	// ExportJoin (playerLen u32, nowUnixNano i64) -> result: Game.Join for
	// the player id in the buffer.
	ExportJoin = "tickwire_join"
	// ExportLeave (playerLen u32, nowUnixNano i64) -> result: Game.Leave.
	ExportLeave = "tickwire_leave"
	// ExportInputs (batchLen u32) -> result: Game.Input for each input of
	// the batch in the buffer (see the batch format below).
	ExportInputs = "tickwire_inputs"
	// ExportTick (tick u64, nowUnixNano i64, batchLen u32) -> result: the
	// inputs of the batch in the buffer, in order, then Game.Tick.
	ExportTick = "tickwire_tick"
	// ExportError () -> ptr<<32|len: the message of the last ResultError or
	// ResultPanic.
	ExportError = "tickwire_error"
)

// Results of the calls that return one (u64). Any other value is the new
// state: ptr<<32 | len of its deterministic protobuf encoding in guest
// memory, valid until the next call.
const (
	// ResultUnchanged: the state's encoding is the one returned last.
	ResultUnchanged uint64 = 1<<64 - 1
	// ResultError: the game returned an error (Init, Join, Restore), whose
	// message ExportError gives. The state is unchanged.
	ResultError uint64 = 1<<64 - 2
	// ResultPanic: the game panicked or the guest could not encode its
	// state or decode an input; ExportError gives the message.
	ResultPanic uint64 = 1<<64 - 3
)

// HostModule is the module name of the host functions.
const HostModule = "tickwire"

// Host functions a guest may import from HostModule.
const (
	// HostRand () -> u64: the next Uint64 of the room's seeded source
	// (tick.Room.Rand), so a guest draws the very sequence a native game
	// would.
	HostRand = "rand_uint64"
	// HostEnd (ptr, len u32): tick.Room.End with the reason at ptr.
	HostEnd = "end"
	// HostKick (pPtr, pLen, rPtr, rLen u32): tick.Room.Kick.
	HostKick = "kick"
	// HostRefuse (pPtr, pLen u32, code i32, rPtr, rLen u32): tick.Room.Refuse.
	HostRefuse = "refuse"
	// HostLog (level i32, ptr, len u32): a line in the room's log at a
	// zerolog level; the host drops lines past a rate.
	HostLog = "log"
)

// An input batch is a sequence of inputs, each
//
//	u32 little-endian player id length, the id's bytes,
//	u32 little-endian input length, the input's protobuf bytes.
const LenSize = 4
