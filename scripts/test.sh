#!/usr/bin/env bash
# The whole Tickwire test suite, as the README's test command and CI run it.
# On a fresh Debian machine it installs what is missing (Chromium for the
# browser tests, Go modules), then checks formatting, vet, staticcheck,
# generated-code drift, and runs every test with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

if ! command -v chromium >/dev/null 2>&1 && [ -z "${CHROMIUM:-}" ]; then
  step "installing Chromium (Debian package) for the browser tests"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

if ! command -v npm >/dev/null 2>&1; then
  step "installing Node.js and npm (Debian packages) for the browser SDK's generator"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi

step "go mod download"
go mod download

step "npm ci (web/: protoc-gen-es, the protobuf-es runtime, tsc)"
(cd web && npm ci --no-audit --no-fund --loglevel=error)

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' | grep -v '\.pb\.go$') 2>/dev/null || true)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "go vet"
go vet ./...

step "staticcheck"
go tool staticcheck ./...

step "generated code is up to date (go generate ./...)"
go generate ./...
if [ -n "$(git status --porcelain -- proto web 2>/dev/null)" ]; then
  echo "go generate changed committed files:"; git status --porcelain -- proto web; git diff --stat -- proto web; exit 1
fi

step "go test -race ./..."
go test -race -count=1 -timeout 20m ./...

# Files tagged !race: nbio's TLS path, whose buffer hand-offs the race
# detector flags inside nbio and llib (docs/design.md, "Known nbio limitations").
step "go test ./server/ (TLS, without -race)"
go test -count=1 -timeout 5m -run 'TLS' ./server/
