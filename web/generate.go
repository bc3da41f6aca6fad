package web

// The SDK bundle; proto/generate.go writes src/gen/ first (go generate runs
// packages in import path order, so proto/ before web/).
//go:generate go run ./internal/build
