// Package version holds the version of Tickwire this code is. The server
// reports it to every client in Welcome.server_version, and the
// tickwire command prints it with -version.
//
// It is a package of its own, importing nothing, so that every other
// package (and a user's program) can read it without pulling anything in.
package version

// Version is this Tickwire's semantic version: the next release's number
// with "-dev" while it is in development, the tag's number in a release.
const Version = "0.2.0-dev"
