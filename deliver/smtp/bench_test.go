package smtp

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/deliver/spool/spooltest"
	"github.com/fetchsecure/fetchsecure/fetch"
)

// BenchmarkPublish stages and publishes batches of 100 messages of 20 KB over one LMTP
// connection on a unix socket, against the in-process server.
func BenchmarkPublish(b *testing.B) {
	ts := startServer(b, true, "unix", nil)
	s, err := New(ts.addr, Options{LMTP: true, DeliverTo: rcpt, SpoolDir: b.TempDir(), Trace: spooltest.Trace})
	if err != nil {
		b.Fatal(err)
	}
	body := []byte("Subject: bench\n\n" + strings.Repeat(strings.Repeat("x", 75)+"\n", 270))
	b.SetBytes(int64(len(body)) * 100)
	for b.Loop() {
		batch := make([]fetch.Staged, 100)
		for i := range batch {
			batch[i], err = s.Stage(context.Background(), spooltest.Envelope(), bytes.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
		}
		for _, err := range s.Publish(context.Background(), batch) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
