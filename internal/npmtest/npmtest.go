// Package npmtest runs npm for tests that use Tickwire's browser SDK as a
// user of its npm package does: web/ packed with `npm pack`, the tarball
// installed into a folder outside the repository, pages type-checked with
// tsc. web/'s package tests and the tickwire command's scaffold test share
// it.
//
// npm must be on PATH (scripts/test.sh installs Node.js and npm); packages
// other than the tarball come from the npm registry or npm's cache.
package npmtest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// NPM is the npm executable, or the test fails with the install hint.
func NPM(t testing.TB) string {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatal("npm not found: scripts/test.sh installs Node.js and npm (the SDK's build needs them too)")
	}
	return npm
}

// Run runs name with args in dir, with env added to the test's
// environment, and returns its standard output (npm writes notices and
// warnings to standard error). If the command fails, the test fails with
// both outputs.
func Run(t testing.TB, dir string, env []string, name string, args ...string) string {
	t.Helper()
	var stdout, stderr strings.Builder
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s (in %s): %v\n%s%s", name, strings.Join(args, " "), dir, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// Pack runs `npm pack` in the package folder pkg (Tickwire's web/) and
// returns the path of the tarball it wrote into dest.
func Pack(t testing.TB, pkg, dest string) string {
	t.Helper()
	var packed []struct{ Filename string }
	out := Run(t, pkg, nil, NPM(t), "pack", "--json", "--pack-destination", dest)
	if err := json.Unmarshal([]byte(out), &packed); err != nil || len(packed) != 1 {
		t.Fatalf("npm pack --json in %s: %v %v\n%s", pkg, packed, err, out)
	}
	return filepath.Join(dest, packed[0].Filename)
}

// Install runs `npm install` of specs (a tarball's path, name@version, or
// none: what package.json lists) in dir, preferring npm's cache to the
// registry, without audit or funding notices.
func Install(t testing.TB, dir string, specs ...string) {
	t.Helper()
	args := append([]string{"install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"}, specs...)
	Run(t, dir, nil, NPM(t), args...)
}

// Manifest is the part of a package.json the tests read.
type Manifest struct {
	Name             string                     `json:"name"`
	Version          string                     `json:"version"`
	Private          bool                       `json:"private"`
	Type             string                     `json:"type"`
	Exports          map[string]json.RawMessage `json:"exports"`
	Files            []string                   `json:"files"`
	Scripts          map[string]string          `json:"scripts"`
	PeerDependencies map[string]string          `json:"peerDependencies"`
	DevDependencies  map[string]string          `json:"devDependencies"`
	Dependencies     map[string]string          `json:"dependencies"`
}

// ReadManifest reads and decodes the package.json at name.
func ReadManifest(t testing.TB, name string) Manifest {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}
