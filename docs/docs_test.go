package docs

import (
	"bufio"
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// root is the repository's root, seen from this package's folder.
const root = ".."

// pages lists the Markdown files whose links are checked: the README, every
// page under docs/, and the repository's other top-level documents.
func pages(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, name := range []string{"README.md", "BENCHMARKS.md", "CONTRIBUTING.md", "CHANGELOG.md"} {
		if _, err := os.Stat(filepath.Join(root, name)); err == nil {
			out = append(out, name)
		}
	}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".md") {
			out = append(out, filepath.ToSlash(filepath.Join("docs", path)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	// inlineLink matches [text](target) and ![alt](target "title"); the
	// text may hold one level of brackets (an image inside a link).
	inlineLink = regexp.MustCompile(`!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)`)
	// refLink matches a reference definition: [label]: target.
	refLink = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$`)
	// htmlLink matches href="…" and src="…" in raw HTML.
	htmlLink = regexp.MustCompile(`(?:href|src)="([^"]*)"`)
	// htmlAnchor matches an explicit anchor in raw HTML.
	htmlAnchor = regexp.MustCompile(`<a\s+(?:name|id)="([^"]+)"`)
	// inlineCode matches a code span, whose text is not Markdown.
	inlineCode = regexp.MustCompile("`+[^`]*`+")
	heading    = regexp.MustCompile(`^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$`)
	htmlTag    = regexp.MustCompile(`<[^>]+>`)
)

// link is one link found in a page.
type link struct {
	line   int
	target string
}

// parsed is what the test needs of a Markdown file: its links and the
// anchors its headings make.
type parsed struct {
	links   []link
	anchors map[string]bool
}

// parse reads a Markdown file, skipping fenced code blocks and code spans.
func parse(path string) (parsed, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return parsed{}, err
	}
	p := parsed{anchors: map[string]bool{}}
	seen := map[string]int{}
	fence := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimLeft(line, " ")
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:3]
			continue
		}
		for _, m := range htmlAnchor.FindAllStringSubmatch(line, -1) {
			p.anchors[m[1]] = true
		}
		if m := heading.FindStringSubmatch(line); m != nil {
			slug := Slug(m[2])
			if k := seen[slug]; k > 0 {
				p.anchors[fmt.Sprintf("%s-%d", slug, k)] = true
			} else {
				p.anchors[slug] = true
			}
			seen[slug]++
		}
		text := inlineCode.ReplaceAllString(line, "")
		for _, re := range []*regexp.Regexp{inlineLink, refLink, htmlLink} {
			for _, m := range re.FindAllStringSubmatch(text, -1) {
				p.links = append(p.links, link{line: n, target: m[1]})
			}
		}
	}
	return p, sc.Err()
}

// Slug is the anchor GitHub gives a heading: the text without Markdown
// emphasis, code marks and link targets, lower-cased, every character
// that is not a letter, a digit, a space, a hyphen or an underscore
// dropped, and spaces turned into hyphens.
func Slug(h string) string {
	h = inlineLink.ReplaceAllStringFunc(h, func(s string) string {
		i := strings.Index(s, "](")
		return strings.TrimPrefix(s[:i], "!")[1:]
	})
	h = htmlTag.ReplaceAllString(h, "")
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Cluster mode":         "cluster-mode",
		"The session on `/ws`": "the-session-on-ws",
		"The socket floor (`-floor`, `-scenario floor`)": "the-socket-floor--floor--scenario-floor",
		"Defaults (`lobby.Options`)":                     "defaults-lobbyoptions",
		"Plan for 1,000,000 concurrent players":          "plan-for-1000000-concurrent-players",
		"Hot path vs Colyseus (2026-12-06)":              "hot-path-vs-colyseus-2026-12-06",
		"connect(url, options?) → Promise&lt;Client&gt;": "connecturl-options--promiseltclientgt",
		"A **bold** [link](x.md) word":                   "a-bold-link-word",
	} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLinks checks that every relative link in the README and the docs
// names a file or folder of this repository, and every #anchor a heading
// of the page it points to.
func TestLinks(t *testing.T) {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	cache := map[string]parsed{}
	load := func(rel string) (parsed, error) {
		if p, ok := cache[rel]; ok {
			return p, nil
		}
		p, err := parse(filepath.Join(root, rel))
		if err == nil {
			cache[rel] = p
		}
		return p, err
	}
	checked := 0
	for _, page := range pages(t) {
		p, err := load(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range p.links {
			where := fmt.Sprintf("%s:%d: %q", page, l.line, l.target)
			u, err := url.Parse(l.target)
			if err != nil {
				t.Errorf("%s: %v", where, err)
				continue
			}
			if u.Scheme != "" || u.Host != "" || l.target == "" {
				continue // http(s), mailto: not ours to check
			}
			checked++
			target := page
			if u.Path != "" {
				if strings.HasPrefix(u.Path, "/") {
					t.Errorf("%s: a path from the site's root does not work on GitHub or on disk; make it relative", where)
					continue
				}
				target = filepath.ToSlash(filepath.Join(filepath.Dir(page), u.Path))
				abs := filepath.Join(absRoot, target)
				if rel, err := filepath.Rel(absRoot, abs); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
					t.Errorf("%s: points outside the repository", where)
					continue
				}
				if _, err := os.Stat(abs); err != nil {
					t.Errorf("%s: no such file in the repository", where)
					continue
				}
			}
			if u.Fragment == "" {
				continue
			}
			if !strings.HasSuffix(target, ".md") {
				continue // a line anchor in a source file: GitHub's, not checked
			}
			tp, err := load(target)
			if err != nil {
				t.Errorf("%s: %v", where, err)
				continue
			}
			if !tp.anchors[strings.ToLower(u.Fragment)] {
				t.Errorf("%s: %s has no heading with anchor #%s", where, target, u.Fragment)
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d relative links found: is the parser broken?", checked)
	}
}

// TestSelfContained checks that the docs cite nothing outside the
// repository: every contract they rely on is written in docs/.
func TestSelfContained(t *testing.T) {
	for _, page := range pages(t) {
		b, err := os.ReadFile(filepath.Join(root, page))
		if err != nil {
			t.Fatal(err)
		}
		// Spelled in pieces so that this file does not match a search
		// for such references itself.
		for _, bad := range []string{".." + "/shared", "DESIGN" + ".md"} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("%s mentions %q, which is not in the repository", page, bad)
			}
		}
	}
}
