// Package proto holds Tickwire's protobuf sources (tickwire/v1) and the Go
// code generated from them. Run `go generate ./...` after editing a .proto
// file; CI fails when the committed code differs from what it generates.
package proto

//go:generate go run ./internal/protogen tickwire/v1/tickwire.proto
//go:generate go run ./internal/protogen tickwire/testing/v1/state.proto
//go:generate go run ./internal/protogen tickwire/arena/v1/arena.proto tickwire/shooter/v1/shooter.proto
//go:generate go run ./internal/protogen tickwire/shooter/v1/shooter.proto
//go:generate go run ./internal/protogen tickwire/crossword/v1/crossword.proto
// TypeScript: the wire protocol for the browser SDK (web/src/gen), the
// delta tests' schema beside it (not part of the SDK's entry point), and the
// example games' schemas for the examples bundle (web/example/gen).
//go:generate go run ./internal/protogen -es ../web/src/gen tickwire/v1/tickwire.proto tickwire/testing/v1/state.proto
//go:generate go run ./internal/protogen -es ../web/example/gen tickwire/arena/v1/arena.proto tickwire/shooter/v1/shooter.proto tickwire/crossword/v1/crossword.proto
