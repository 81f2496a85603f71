package maildir

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// hostPart returns this machine's name as the maildir spec wants it in file names:
// '/' and ':' written as \057 and \072; ',' and '\' too (so that ",S=" stays
// unambiguous for Dovecot), as well as anything outside printable ASCII.
func hostPart() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "localhost"
	}
	return escapeHost(h)
}

// escapeHost writes a host name for a maildir file name (see hostPart).
func escapeHost(h string) string {
	var b strings.Builder
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c <= ' ' || c >= 0x7f || c == '/' || c == ':' || c == ',' || c == '\\' {
			fmt.Fprintf(&b, `\%03o`, c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// uniqueName returns a new file name in the form of the maildir spec and Dovecot:
// "time.MusecPpidQdeliveriesRrandom.host". PID and the per-process delivery counter keep
// names from one machine distinct; 64 random bits cover PID reuse and shared maildirs
// whose hosts share a name (containers). The size is added when the file moves to new/.
func (m *Maildir) uniqueName(now time.Time) string {
	var r [8]byte
	rand.Read(r[:])
	q := m.deliveries.Add(1)
	var b strings.Builder
	b.Grow(64 + len(m.host))
	b.WriteString(strconv.FormatInt(now.Unix(), 10))
	b.WriteString(".M")
	b.WriteString(strconv.Itoa(now.Nanosecond() / 1000))
	b.WriteString("P")
	b.WriteString(strconv.Itoa(m.pid))
	b.WriteString("Q")
	b.WriteString(strconv.FormatUint(q, 10))
	b.WriteString("R")
	b.WriteString(hex.EncodeToString(r[:]))
	b.WriteString(".")
	b.WriteString(m.host)
	return b.String()
}

// withSize is the name in new/: the tmp/ name plus ",S=<size>", which lets Dovecot skip
// a stat (Dovecot's maildir_filename_get_size).
func withSize(name string, size int64) string {
	return name + ",S=" + strconv.FormatInt(size, 10)
}

// tmpName is the inverse of withSize.
func tmpName(final string) string {
	if i := strings.LastIndex(final, ",S="); i > 0 {
		return final[:i]
	}
	return final
}
