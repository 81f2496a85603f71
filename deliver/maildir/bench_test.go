package maildir

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/fetchsecure/fetchsecure/fetch"
)

// BenchmarkMaildirPublish delivers batches of 256 messages of 45 KB with real fsyncs
// (Stage + Publish, as the pipeline does) and reports messages per second.
// Set FETCHSECURE_BENCH_DIR to measure another disk than the one of os.TempDir.
func BenchmarkMaildirPublish(b *testing.B) {
	for _, par := range []int{1, 8, 16} {
		b.Run(fmt.Sprint("parallel=", par), func(b *testing.B) { benchPublish(b, par) })
	}
}

func benchPublish(b *testing.B, par int) {
	dir := b.TempDir()
	if d := os.Getenv("FETCHSECURE_BENCH_DIR"); d != "" {
		var err error
		if dir, err = os.MkdirTemp(d, "bench"); err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(dir)
	}
	m := newMaildir(b, filepath.Join(dir, "Maildir"), Options{Trace: trace, Parallel: par})
	body := bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\n"), 45<<10/73)
	env := envelope("INBOX", 1)
	const batchSize = 256
	b.SetBytes(batchSize * int64(len(body)))
	b.ResetTimer()
	for b.Loop() {
		batch := make([]fetch.Staged, batchSize)
		for i := range batch {
			batch[i] = stage(b, m, env, bytes.NewReader(body))
		}
		for _, err := range m.Publish(context.Background(), batch) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*batchSize)/b.Elapsed().Seconds(), "msgs/s")
}
