package config

import (
	"strings"
	"testing"
)

func TestIndexLines(t *testing.T) {
	src := `# comment [not.a.table]
top = 1 # trailing
s = """
fake = 1
[fake.table]
"""
l = '''
x = 2 '''
arr = [
  "]", # ] in a comment
  ['[', "\"]"],
  { inner = 1 },
]
[ a . "b c" . 'd' ]
k1 = "v" # k2 = 1
dotted . key = { x = 1, y = { z = 2 },
  w = 3 }
[[arr2]]
e = "\u00e9"
"quoted key" = 1
after = 1
"\e\u00e9\U0001F600\x41" = 1
"a\\\"b\tc" = 2
`
	ix := indexLines(src)
	for _, tc := range []struct {
		path string // dotted, "/" between parts
		line int
	}{
		{"top", 2}, {"s", 3}, {"l", 7}, {"arr", 9},
		{"a", 14}, {"a/b c", 14}, {"a/b c/d", 14}, {"a/b c/d/k1", 15},
		{"a/b c/d/dotted", 16}, {"a/b c/d/dotted/key", 16}, {"a/b c/d/dotted/key/y/z", 16},
		{"a/b c/d/dotted/key/w", 17}, {"arr2", 18}, {"arr2/e", 19}, {"arr2/quoted key", 20},
		{"arr2/after", 21}, {"arr2/\x1bé😀A", 22}, {"arr2/a\\\"b\tc", 23},
		{"a/b c/d/missing", 14}, // a missing key points at its table
		{"fake", 0}, {"x", 0}, {"k2", 0}, {"inner", 0},
	} {
		if got := ix.line(strings.Split(tc.path, "/")); got != tc.line {
			t.Errorf("line(%s) = %d, want %d", tc.path, got, tc.line)
		}
	}
}
