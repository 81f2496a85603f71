package mda

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/deliver/spool/spooltest"
	"github.com/fetchsecure/fetchsecure/fetch"
)

// BenchmarkPublish stages and publishes batches of 100 messages of 20 KB through
// procmail into a maildir: the cost is procmail's, once per message.
func BenchmarkPublish(b *testing.B) {
	home := b.TempDir()
	rc := filepath.Join(home, "procmailrc")
	os.WriteFile(rc, []byte("MAILDIR="+home+"\nDEFAULT="+home+"/Maildir/\n"), 0o600)
	m, err := New([]string{"procmail", "-t", "-f", "%F", "-m", rc},
		Options{SpoolDir: b.TempDir(), Trace: spooltest.Trace})
	if err != nil {
		b.Skip(err)
	}
	body := []byte("Return-Path: <a@example.org>\nSubject: bench\n\n" + strings.Repeat(strings.Repeat("x", 75)+"\n", 270))
	b.SetBytes(int64(len(body)) * 100)
	for b.Loop() {
		batch := make([]fetch.Staged, 100)
		for i := range batch {
			if batch[i], err = m.Stage(context.Background(), spooltest.Envelope(), bytes.NewReader(body)); err != nil {
				b.Fatal(err)
			}
		}
		for _, err := range m.Publish(context.Background(), batch) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
