// Package guest is the guest side of a Tickwire WebAssembly game: it turns
// a Game written against its small Room into the exports wasmgame's host
// calls, so a game built with Go's own toolchain runs sandboxed in a room
// as a native tick.Game would.
//
// A guest is a main package built as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o mygame.wasm ./mygame
//
// It calls Serve from an init function (a reactor's main never runs):
//
//	func init() { guest.Serve[*mypb.State, *mypb.Input](&Game{}) }
//
//	func main() {}
//
// Everything but this comment builds only for GOOS=wasip1 GOARCH=wasm. The
// ABI and the limits are in docs/wasm.md; examples/arena/wasm is a complete
// guest.
package guest
