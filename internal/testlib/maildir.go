package testlib

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Delivered is one message file of a maildir.
type Delivered struct {
	Name string // "new/<file>" or "cur/<file>"
	Data []byte
	Mode os.FileMode
}

// ReadMaildir returns the messages in dir's new/ and cur/, sorted by name, ignoring
// tmp/ (see [MaildirTmp]). The test fails if dir is not a maildir.
func ReadMaildir(t testing.TB, dir string) []Delivered {
	t.Helper()
	var out []Delivered
	for _, sub := range []string{"new", "cur"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatalf("read maildir: %v", err)
		}
		for _, e := range ents {
			p := filepath.Join(dir, sub, e.Name())
			fi, err := os.Lstat(p)
			if err != nil {
				t.Fatalf("read maildir: %v", err)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("read maildir: %v", err)
			}
			out = append(out, Delivered{Name: sub + "/" + e.Name(), Data: data, Mode: fi.Mode()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// MaildirTmp returns the names of the files left in dir's tmp/: after a delivery
// finished, there should be none.
func MaildirTmp(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatalf("read maildir tmp: %v", err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// Contents returns the Data of each delivered message, with the trace header lines
// fetchsecure adds removed by [StripTrace].
func Contents(ds []Delivered) [][]byte {
	out := make([][]byte, len(ds))
	for i, d := range ds {
		out[i] = StripTrace(d.Data)
	}
	return out
}

// AssertSameMessages fails the test unless got and want hold the same messages the
// same number of times, in any order: it proves "every message exactly once". The
// report names missing, extra and duplicated messages, and pairs each missing message
// with the most similar extra one to show the first difference.
func AssertSameMessages(t testing.TB, got, want [][]byte) {
	t.Helper()
	extra, missing := multisetDiff(got, want)
	if len(extra) == 0 && len(missing) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "got %d messages, want %d: %d missing, %d extra or duplicated",
		len(got), len(want), len(missing), len(extra))
	const maxShown = 10
	for i, m := range missing {
		if i == maxShown {
			fmt.Fprintf(&b, "\n  ... %d more missing", len(missing)-maxShown)
			break
		}
		fmt.Fprintf(&b, "\n  missing: %s", describe(m))
		if j := closest(m, extra); j >= 0 {
			fmt.Fprintf(&b, "\n    nearest extra: %s", Diff(extra[j], m))
			extra = append(extra[:j], extra[j+1:]...)
		}
	}
	for i, m := range extra {
		if i == maxShown {
			fmt.Fprintf(&b, "\n  ... %d more extra", len(extra)-maxShown)
			break
		}
		fmt.Fprintf(&b, "\n  extra: %s", describe(m))
	}
	t.Error(b.String())
}

// multisetDiff returns the messages of got beyond their count in want, and those of
// want beyond their count in got.
func multisetDiff(got, want [][]byte) (extra, missing [][]byte) {
	count := map[[32]byte]int{}
	for _, m := range want {
		count[sha256.Sum256(m)]++
	}
	for _, m := range got {
		h := sha256.Sum256(m)
		if count[h] > 0 {
			count[h]--
		} else {
			extra = append(extra, m)
		}
	}
	for _, m := range want {
		h := sha256.Sum256(m)
		if count[h] > 0 {
			count[h]--
			missing = append(missing, m)
		}
	}
	return extra, missing
}

// closest returns the index of the candidate sharing the longest prefix with m, or -1.
func closest(m []byte, candidates [][]byte) int {
	best, bestLen := -1, -1
	for i, c := range candidates {
		if n := commonPrefix(m, c); n > bestLen {
			best, bestLen = i, n
		}
	}
	return best
}

func commonPrefix(a, b []byte) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// describe names a message by its length, Subject and start.
func describe(m []byte) string {
	subject := ""
	if i := bytes.Index(append([]byte("\n"), m...), []byte("\nSubject:")); i >= 0 {
		line, _, _ := bytes.Cut(m[i:], []byte("\n"))
		subject = " " + excerpt(line, 60)
	}
	return fmt.Sprintf("%d bytes%s, starting %s", len(m), subject, excerpt(m, 40))
}

// Diff describes how got differs from want: lengths, the first differing offset and
// the bytes around it, quoted. It returns "" when they are equal.
func Diff(got, want []byte) string {
	if bytes.Equal(got, want) {
		return ""
	}
	off := commonPrefix(got, want)
	lo := max(0, off-16)
	return fmt.Sprintf("%d bytes, want %d; first difference at offset %d: got %s, want %s",
		len(got), len(want), off, excerpt(got[lo:], 48), excerpt(want[lo:], 48))
}

// excerpt quotes at most n bytes of b.
func excerpt(b []byte, n int) string {
	if len(b) > n {
		return fmt.Sprintf("%q...", b[:n])
	}
	return fmt.Sprintf("%q", b)
}
