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
# The soak test runs on its own afterwards: its 30 bots churn for 6 s at rates
# that a fully loaded machine (every package's tests at once) turns into
# stalls it counts as failures, which is what it is there to catch.
# -p 1: one package at a time. Several packages' tests measure rates on real
# sockets and disks (rooms, journals, the soak); run side by side on 2 cores
# under the race detector they starved each other into failures that do not
# happen alone.
go test -race -count=1 -p 1 -timeout 40m -skip '^TestSoakRun$' ./...

step "go test -race -run TestSoakRun ./bench/ (alone)"
go test -race -count=1 -timeout 5m -run '^TestSoakRun$' ./bench/

# Files tagged !race: nbio's TLS path, whose buffer hand-offs the race
# detector flags inside nbio and llib (docs/design.md, "Known nbio limitations").
step "go test ./server/ (TLS, without -race)"
go test -count=1 -timeout 5m -run 'TLS' ./server/

# A short run of each fuzzer that reads bytes from the network (the seeds
# run with every go test above; this searches a little past them). Longer
# runs: CONTRIBUTING.md. A finding is an input the fuzzer writes under
# testdata/fuzz/, which fails the run; a fuzzing engine that fails without
# one (a worker killed on a loaded machine) is reported, not failed on.
step "fuzz: 8 s for each network decoder"
for target in "FuzzFeed ./server/internal/wsframe/" "FuzzDecodeEnvelope ./protocol/" "FuzzApplyDelta ./protocol/" "FuzzVerifySeat ./lobby/" "FuzzLobbyHTTP ./lobby/" "FuzzVerifyToken ./lobby/" "FuzzFallbackSend ./server/"; do
  set -- $target
  if ! go test -run XXX -fuzz "^$1\$" -fuzztime 8s "$2"; then
    if [ -n "$(git status --porcelain --untracked-files=all -- '*testdata/fuzz/*' 2>/dev/null)" ]; then
      echo "$1 found a failing input:"; git status --porcelain --untracked-files=all -- '*testdata/fuzz/*'; exit 1
    fi
    echo "warning: $1 failed without a failing input (the fuzzing engine, not the code)"
  fi
done
