package web

// proto/generate.go writes src/gen/ first (go generate runs packages in
// import path order, so proto/ before web/). Then the code tables
// (src/codes.ts, from protocol/closecode.go and the ErrorCode enum), then
// the SDK's builds: the npm package's lib/ and the bundles in dist/.
//go:generate go run ./internal/codes
//go:generate go run ./internal/build
