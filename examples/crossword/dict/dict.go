// Package dict is the crossword's dictionary: 63,540 English words of 2 to
// 15 letters a–z, from SCOWL by way of Debian's wamerican package (see
// LICENSE-words and mkwords.sh), embedded in the binary. English returns
// the one shared, immutable instance.
package dict

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
)

//go:embed words.txt
var wordsTxt string

// The word lengths the dictionary holds.
const (
	MinLen = 2
	MaxLen = 15
)

// Dict is a set of lower-case words. It is immutable, so safe for
// concurrent use.
type Dict struct {
	// words maps every word to nothing. Its keys are substrings of the
	// source text, so building it allocates no strings; a lookup by
	// []byte (m[string(b)]) allocates nothing either.
	words map[string]struct{}
	list  []string // the words in the source's order
}

// English returns the embedded English dictionary, built on first use
// (about 5 ms and 4 MB, see dict_test.go's benchmarks) and shared by every
// caller in the process.
func English() *Dict { return english() }

var english = sync.OnceValue(func() *Dict {
	d, err := Parse(wordsTxt)
	if err != nil {
		panic("dict: embedded words.txt: " + err.Error()) // a broken build, caught by the tests
	}
	return d
})

// Parse builds a Dict from text with one word per line: MinLen to MaxLen
// letters a–z each. It returns an error naming the first bad line.
func Parse(text string) (*Dict, error) {
	n := strings.Count(text, "\n") + 1
	d := &Dict{words: make(map[string]struct{}, n), list: make([]string, 0, n)}
	line := 0
	for len(text) > 0 {
		line++
		w := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			w, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		if !Valid(w) {
			return nil, fmt.Errorf("line %d: %q is not %d-%d letters a-z", line, w, MinLen, MaxLen)
		}
		if _, dup := d.words[w]; !dup {
			d.words[w] = struct{}{}
			d.list = append(d.list, w)
		}
	}
	return d, nil
}

// Valid reports whether w has the shape of a word the dictionary could
// hold: MinLen to MaxLen letters a–z.
func Valid[T string | []byte](w T) bool {
	if len(w) < MinLen || len(w) > MaxLen {
		return false
	}
	for i := range len(w) {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

// Has reports whether w is a word of the dictionary.
func (d *Dict) Has(w string) bool {
	_, ok := d.words[w]
	return ok
}

// HasBytes is Has for a word in a byte slice; it does not allocate.
func (d *Dict) HasBytes(w []byte) bool {
	_, ok := d.words[string(w)]
	return ok
}

// Len returns the number of words.
func (d *Dict) Len() int { return len(d.words) }

// Words returns every word, in the order of the source (sorted, for
// English). The slice is the Dict's own: do not change it.
func (d *Dict) Words() []string { return d.list }
