package testlib

import (
	"bytes"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
)

// BenchMailbox yields n reproducible messages shaped like the anchor benchmark
// (shared/research/anchor-results.md): body sizes log-uniform between 2 and 50 KB,
// about 30% with a small attachment (1–20 KB encoded), 1% with a 1–5 MB one, and
// every seventh message CRLF-terminated. The same seed gives the same bytes. One
// message is built at a time, so a 10,000-message mailbox (about 450 MB) never sits
// in memory; the caller owns each Data.
func BenchMailbox(seed int64, n int) iter.Seq[Message] {
	return func(yield func(Message) bool) {
		r := rand.New(rand.NewPCG(uint64(seed), 0x6d61696c))
		for i := range n {
			if !yield(benchMessage(r, i)) {
				return
			}
		}
	}
}

func benchMessage(r *rand.Rand, i int) Message {
	name := fmt.Sprintf("bench-%06d", i)
	size := int(math.Exp(math.Log(2e3) + r.Float64()*math.Log(50e3/2e3)))
	var attach int
	switch x := r.Float64(); {
	case x < 0.01:
		attach = 1e6 + r.IntN(4e6)
	case x < 0.31:
		attach = 1e3 + r.IntN(19e3)
	}
	var b bytes.Buffer
	b.Grow(size + attach + 1024)
	hdr := fmt.Sprintf("From: Bench Sender <sender%d@example.org>\nTo: rcpt@example.org\n"+
		"Subject: benchmark message %d\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"+
		"Message-ID: <%s.%d@bench.example>\n", r.IntN(100), i, name, r.Uint32())
	if attach > 0 {
		raw := make([]byte, attach*57/77) // attach is the size as stored
		fillRandom(r, raw)
		writeMultipart(&b, hdr+"MIME-Version: 1.0\n", raw)
	} else {
		b.WriteString(hdr + "\n")
	}
	writeText(r, &b, size)
	data := b.Bytes()
	if i%7 == 6 {
		data = crlf(data)
	}
	return Message{name, data}
}

// benchWords is the vocabulary of the generated text: 64 words, so that one random
// uint64 picks ten of them.
var benchWords = [64]string{"the", "message", "server", "fetch", "delivery", "mail",
	"a", "of", "and", "to", "in", "is", "that", "for", "it", "with", "as", "was",
	"on", "be", "at", "by", "this", "had", "not", "are", "but", "from", "or", "have",
	"an", "they", "which", "one", "you", "were", "all", "we", "her", "she", "there",
	"would", "their", "will", "when", "who", "him", "been", "has", "more", "if", "no",
	"out", "so", "said", "what", "up", "its", "about", "into", "than", "them", "can",
	"only"}

// writeText appends about size bytes of text in lines of at most 78 characters.
func writeText(r *rand.Rand, b *bytes.Buffer, size int) {
	end := b.Len() + size
	line := 0
	for b.Len() < end {
		v := r.Uint64()
		for range 10 {
			w := benchWords[v&63]
			v >>= 6
			if line+len(w)+1 > 78 {
				b.WriteByte('\n')
				line = 0
			} else if line > 0 {
				b.WriteByte(' ')
				line++
			}
			b.WriteString(w)
			line += len(w)
		}
	}
	b.WriteByte('\n')
}
