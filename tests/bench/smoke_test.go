package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/testlib"
)

// TestSmoke runs the harness end to end on 50 messages, fetchsecure and the floors
// only, once: every row must be measured and correct, and the report written. The
// real benchmark is `make bench`.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Dovecot and sshd")
	}
	testlib.RequireServer(t, "dovecot")
	out := filepath.Join(t.TempDir(), "performance.md")
	var table, progress bytes.Buffer
	rep := run(t, options{n: 50, runs: 1, seed: 1, tools: []string{"fetchsecure", "floor"},
		out: out, timeout: 2 * time.Minute, log: &progress}, &table)
	if !rep.allCorrect() {
		t.Fatalf("a run failed:\n%s\n%s", table.String(), progress.String())
	}
	if got, want := len(rep.main.rows), 10; got != want {
		t.Errorf("%d rows in the table, want %d (six fetchsecure modes, four floors):\n%s", got, want, table.String())
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Machine", "| fetchsecure IMAP SSH tunnel keep | IMAP | SSH |",
		"every delivered copy equals the source", "BENCH_N=50"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}
