package state

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReplay feeds arbitrary journal bytes to Open: it must never panic, and either
// refuse the journal with an error or load it and accept new records after it.
func FuzzReplay(f *testing.F) {
	good, _ := encodeRecord(&record{Op: opSettle, Folder: "INBOX", UIDs: []uint32{1, 2}, Since: 2})
	intent, _ := encodeRecord(&record{Op: opIntent, Folder: "INBOX", UIDLs: []string{"a"}, Receipts: []string{"r"}})
	f.Add(good)
	f.Add(append(append([]byte{}, good...), intent...))
	f.Add(append(append([]byte{}, good...), good[:len(good)/2]...))
	f.Add([]byte("00000000 {}\n"))
	f.Add([]byte("garbage\n"))
	f.Fuzz(func(t *testing.T, journal []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "journal.0"), journal, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(dir)
		if err != nil {
			return
		}
		if err := s.Settle("X", Settlement{Done: []Key{{UID: 9}}, Since: 9}); err != nil {
			t.Fatalf("Settle after loading: %v", err)
		}
		s.Close()
		s2, err := Open(dir)
		if err != nil {
			t.Fatalf("reopen after a good load and a write: %v", err)
		}
		if s2.Folder("X").Since() != 9 {
			t.Fatalf("the record written after the load is lost")
		}
		s2.Close()
	})
}
