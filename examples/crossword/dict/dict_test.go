package dict

import (
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestEnglish(t *testing.T) {
	d := English()
	if d != English() {
		t.Fatal("English built twice")
	}
	if d.Len() < 60_000 {
		t.Fatalf("Len = %d, want the whole filtered list", d.Len())
	}
	for _, w := range []string{"cat", "quiz", "aardvark", "jazz", "be", "of", "xi", "zebras"} {
		if !d.Has(w) || !d.HasBytes([]byte(w)) {
			t.Errorf("%q missing", w)
		}
	}
	for _, w := range []string{"", "a", "Cat", "qzx", "cc", "don't", "zzzzzz", "café", "kg", "abcdefghijklmnop"} {
		if d.Has(w) {
			t.Errorf("%q should not be a word", w)
		}
	}
}

func TestWordsFileShape(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(wordsTxt, "\n"), "\n")
	if !slices.IsSorted(lines) {
		t.Error("words.txt is not sorted bytewise (run mkwords.sh)")
	}
	if len(slices.Compact(slices.Clone(lines))) != len(lines) {
		t.Error("words.txt has duplicates")
	}
	for _, w := range lines {
		if !strings.ContainsAny(w, "aeiouy") {
			t.Errorf("%q has no vowel", w)
		}
	}
}

func TestParse(t *testing.T) {
	d, err := Parse("ab\ncd\n")
	if err != nil || d.Len() != 2 || !d.Has("cd") {
		t.Fatalf("Parse = %v, %v", d, err)
	}
	for _, bad := range []string{"ab\nC\n", "ab\n\ncd", "a\n", "ab cd\n", strings.Repeat("a", 16)} {
		if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), "line") {
			t.Errorf("Parse(%q) = %v, want an error naming the line", bad, err)
		}
	}
}

func BenchmarkBuild(b *testing.B) {
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var keep *Dict
	for b.Loop() {
		d, err := Parse(wordsTxt)
		if err != nil {
			b.Fatal(err)
		}
		keep = d
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MiB")
	runtime.KeepAlive(keep)
}

// benchWords is a mix of words and non-words of typical lengths.
var benchWords = [][]byte{
	[]byte("cat"), []byte("quixotic"), []byte("qzx"), []byte("be"), []byte("crosswords"),
	[]byte("zzyzx"), []byte("ab"), []byte("extraordinary"), []byte("rtsl"), []byte("letters"),
}

func BenchmarkHasBytes(b *testing.B) {
	d := English()
	b.ReportAllocs()
	for b.Loop() {
		for _, w := range benchWords {
			d.HasBytes(w)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(benchWords)), "ns/lookup")
}

// BenchmarkSortedSearch is the alternative not taken: binary search in the
// sorted list (nothing to build but a slice of 63,540 strings, but several times slower
// per lookup).
func BenchmarkSortedSearch(b *testing.B) {
	lines := strings.Split(strings.TrimSuffix(wordsTxt, "\n"), "\n")
	found := false
	b.ReportAllocs()
	for b.Loop() {
		for _, w := range benchWords {
			_, found = slices.BinarySearch(lines, string(w))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(benchWords)), "ns/lookup")
	_ = found
}
