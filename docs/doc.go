// Package docs holds Tickwire's documentation pages (Markdown) and the test
// that keeps their links working. It has no code: import nothing from it.
package docs
