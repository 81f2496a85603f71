package pop3

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/testlib/fakepop3"
)

// benchMailbox is 200 messages of 2 KB to 200 KB, about 9 MB in all.
func benchMailbox() (msgs [][]byte, total int64) {
	for i := range 200 {
		size := 2 << 10 << (i % 7) // 2, 4, ... 128 KiB
		if i%50 == 0 {
			size = 200 << 10
		}
		m := bigMessage(size)
		msgs = append(msgs, m)
		total += int64(len(m))
	}
	return msgs, total
}

// BenchmarkRetr measures RETR of a whole mailbox over loopback from the fake server,
// which runs in the same process and so shares the CPU and the allocation counts.
func BenchmarkRetr(b *testing.B) {
	msgs, total := benchMailbox()
	for _, bc := range []struct {
		name       string
		pipelining bool
		latency    time.Duration
	}{
		{"pipelined", true, 0},
		{"one-at-a-time", false, 0},
		{"pipelined/latency=1ms", true, time.Millisecond},
		{"one-at-a-time/latency=1ms", false, time.Millisecond},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := fakepop3.Config{Messages: msgs, Pipelining: bc.pipelining, Latency: bc.latency}
			_, src := login(b, cfg, Options{})
			nums := make([]int, len(msgs))
			for i := range nums {
				nums[i] = i + 1
			}
			b.SetBytes(total)
			b.ReportAllocs()
			for b.Loop() {
				err := src.c.RetrEach(nums, func(_ int, r io.Reader, err error) error {
					if err == nil {
						_, err = io.Copy(io.Discard, r)
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(msgs)), "µs/msg")
		})
	}
}

// BenchmarkRetrClientOnly measures the client alone: the server's replies to 200
// pipelined RETRs come from memory.
func BenchmarkRetrClientOnly(b *testing.B) {
	msgs, total := benchMailbox()
	var wire []byte
	for _, m := range msgs {
		wire = append(append(wire, "+OK message follows\r\n"...), fakepop3.Stuff(m)...)
	}
	nums := make([]int, len(msgs))
	for i := range nums {
		nums[i] = i + 1
	}
	r := bytes.NewReader(wire)
	c := rawClient(nil, 8<<10)
	c.caps = map[string]string{"PIPELINING": ""}
	c.opts.Window = 32
	c.copyBuf = make([]byte, 32<<10)
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(wire)
		c.br.Reset(r)
		err := c.RetrEach(nums, func(_ int, r io.Reader, err error) error {
			if err == nil {
				_, err = io.Copy(io.Discard, r)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
