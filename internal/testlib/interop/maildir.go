package interop

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// readMaildir returns the messages in new/ and cur/ of the maildir the namespace sees
// at dir (below /var), in file name order; none if it does not exist yet. It reads
// the overlay's upper layer, where every file the server wrote lies.
func readMaildir(t testing.TB, n *ns, dir string) [][]byte {
	t.Helper()
	rel, ok := strings.CutPrefix(dir, "/var/")
	if !ok {
		t.Fatalf("maildir %s is not below /var", dir)
	}
	var files []string
	for _, sub := range []string{"new", "cur"} {
		ents, err := os.ReadDir(filepath.Join(n.Var(rel), sub))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			files = append(files, filepath.Join(n.Var(rel), sub, e.Name()))
		}
	}
	sort.Strings(files)
	out := make([][]byte, len(files))
	for i, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = data
	}
	return out
}
