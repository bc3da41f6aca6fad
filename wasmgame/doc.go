// Package wasmgame hosts Tickwire games compiled to WebAssembly (WASI
// preview 1) in wazero, a pure-Go runtime: a Module is one compiled .wasm,
// each room runs in its own instance of it, and Register adapts it to
// tick.Game[S, I] from the outside, so the framework's diff, topics and
// snapshots see an ordinary game whose state and inputs are the game's
// protobuf messages.
//
// The sandbox: each room's instance has its own linear memory capped at
// Options.MemoryLimitPages, every call into it has a deadline
// (Options.CallTimeout) after which the instance is stopped, no filesystem
// unless Options.FS grants a read-only one, no network, no clock but the
// room's tick time, and randomness only from the room's seeded source. A
// guest that loops, exhausts its memory or panics ends its own room with
// ROOM_FAILED; the other rooms tick on.
//
// Hot reload: a Plugin is a registered game whose Module can be replaced
// while rooms run (Plugin.Reload); new rooms start on the new module while
// rooms already running finish on the one they started on, which is closed
// after its last room ends.
//
// The guest side is package wasmgame/guest; the ABI, the limits and the
// measured overhead are in docs/wasm.md.
package wasmgame
