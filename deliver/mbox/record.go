package mbox

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fetchsecure/fetchsecure/fetch"
)

// outcome is what Check answers for a receipt.
type outcome = fetch.Outcome

const (
	recordMagic  = "fetchsecure-mbox-batch 1"
	recordSuffix = ".batch"
	// recordKeep is how long batch records are kept, so how long Check can answer for
	// a receipt that was published.
	recordKeep = 30 * 24 * time.Hour
	// spoolStale is when a spool file no record refers to is removed (the maildir
	// spec's 36 hours for tmp/).
	spoolStale = 36 * time.Hour
)

// record is a batch record: what Publish was about to append, and how it ended.
type record struct {
	name     string // file name in the spool
	path     string // the mbox
	dev, ino uint64 // the mbox's identity when the batch started
	start    int64  // mbox size before the batch
	prefix   int    // newlines written before the first message
	msgs     []recMsg
	state    string             // "" (open), "done", "abort" or "settled"
	results  map[string]outcome // per receipt, once settled
}

type recMsg struct {
	receipt   string
	off, size int64
	sum       string // hex SHA-256 of the appended bytes
}

// encode writes the record as Publish stores it before appending.
func (r *record) encode() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\npath %s\nfile %d %d %d %d\n", recordMagic, strconv.Quote(r.path),
		r.dev, r.ino, r.start, r.prefix)
	for _, m := range r.msgs {
		fmt.Fprintf(&b, "msg %s %d %d %s\n", m.receipt, m.off, m.size, m.sum)
	}
	return b.Bytes()
}

// parseRecord reads a record. A last line without a newline is a torn append and is
// ignored.
func parseRecord(name string, data []byte) (*record, error) {
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[:i+1]
	}
	r := &record{name: name, results: map[string]outcome{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 0; sc.Scan(); n++ {
		line := sc.Text()
		if n == 0 && line != recordMagic {
			return nil, fmt.Errorf("batch record %s: not a record", name)
		}
		if err := r.parseLine(line); err != nil {
			return nil, fmt.Errorf("batch record %s: %q: %w", name, line, err)
		}
	}
	return r, sc.Err()
}

func (r *record) parseLine(line string) error {
	word, rest, _ := strings.Cut(line, " ")
	var err error
	switch word {
	case "path":
		r.path, err = strconv.Unquote(rest)
	case "file":
		_, err = fmt.Sscan(rest, &r.dev, &r.ino, &r.start, &r.prefix)
	case "msg":
		var m recMsg
		_, err = fmt.Sscan(rest, &m.receipt, &m.off, &m.size, &m.sum)
		r.msgs = append(r.msgs, m)
	case "result":
		var receipt string
		var o int
		_, err = fmt.Sscan(rest, &receipt, &o)
		r.results[receipt] = outcome(o)
	case "done", "abort", "settled":
		r.state = word
	}
	return err
}

// outcomes returns the outcome of each receipt of a finished record.
func (r *record) outcomes() map[string]outcome {
	out := map[string]outcome{}
	for _, m := range r.msgs {
		switch r.state {
		case "done":
			out[m.receipt] = fetch.Delivered
		case "abort":
			out[m.receipt] = fetch.NotDelivered
		default:
			if o, ok := r.results[m.receipt]; ok {
				out[m.receipt] = o
			} else {
				out[m.receipt] = fetch.Unknown
			}
		}
	}
	return out
}

// mark appends a state line to the record. It is not fsync'd: if it is lost, the next
// New settles the batch again from the mbox itself and reaches the same outcome.
func (m *Mbox) mark(r *record, line string) {
	f, err := m.spool.Open(r.name, os.O_WRONLY|os.O_APPEND, 0)
	if err == nil {
		f.WriteString(line + "\n")
		f.Close()
	}
}

// identity returns the device and inode of an open file.
func identity(fi os.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), st.Ino
	}
	return 0, 0
}

// parseReceipt checks that a receipt is a spool name made by receiptName and returns
// the time in it.
func parseReceipt(s string) (time.Time, bool) {
	base, ok := strings.CutSuffix(s, ".msg")
	secs, rest, ok2 := strings.Cut(base, ".P")
	if !ok || !ok2 || strings.ContainsAny(rest, "/\x00 \n") {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || sec < 0 {
		return time.Time{}, false
	}
	return time.Unix(sec, 0), true
}

// sameBytes reports whether a and b hold the same bytes (both are read to the end).
func sameBytes(a, b io.Reader) (bool, error) {
	bufA, bufB := make([]byte, 32<<10), make([]byte, 32<<10)
	for {
		na, errA := io.ReadFull(a, bufA)
		nb, errB := io.ReadFull(b, bufB)
		if na != nb || !bytes.Equal(bufA[:na], bufB[:nb]) {
			return false, nil
		}
		endA := errA == io.EOF || errA == io.ErrUnexpectedEOF
		endB := errB == io.EOF || errB == io.ErrUnexpectedEOF
		if endA || endB {
			return endA && endB, nil
		}
		if errA != nil {
			return false, errA
		}
		if errB != nil {
			return false, errB
		}
	}
}

// hexSum is the form of a hash in a record.
func hexSum(sum []byte) string { return hex.EncodeToString(sum) }
