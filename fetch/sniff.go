package fetch

import (
	"bytes"
	"io"
)

// sniffer passes a message through while keeping a copy of its header (up to
// maxHeader bytes), so that Message-ID, From and Subject can be read without a
// second pass over the message.
type sniffer struct {
	r    io.Reader
	head []byte
	full bool // the header is complete (or over maxHeader)
	n    int64
	err  error // a read error from the source: the connection broke mid-message
}

const maxHeader = 64 << 10

func newSniffer(r io.Reader) *sniffer { return &sniffer{r: r} }

func (s *sniffer) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)
	if err != nil && err != io.EOF {
		s.err = err
	}
	if !s.full && n > 0 {
		s.keep(p[:n])
	}
	return n, err
}

// keep copies p up to the end of the header (the first empty line), so that a message
// costs an allocation of its header's size, not of the chunk it arrived in. The empty
// line may straddle two reads: a kept header ending in LF and p starting with LF.
func (s *sniffer) keep(p []byte) {
	p = p[:min(len(p), maxHeader-len(s.head))]
	switch i := bytes.Index(p, []byte("\n\n")); {
	case len(s.head) > 0 && s.head[len(s.head)-1] == '\n' && len(p) > 0 && p[0] == '\n':
		s.full = true
	case i >= 0:
		s.head, s.full = append(s.head, p[:i+1]...), true
	default:
		s.head = append(s.head, p...)
		s.full = len(s.head) >= maxHeader
	}
}

// header returns the unfolded value of the first header field with the given name
// (case-insensitive), or "".
func (s *sniffer) header(name string) string {
	lines := bytes.Split(s.head, []byte("\n"))
	for i := 0; i < len(lines); i++ {
		k, v, ok := bytes.Cut(lines[i], []byte(":"))
		if !ok || !bytes.EqualFold(bytes.TrimSpace(k), []byte(name)) || len(k) == 0 || k[0] == ' ' || k[0] == '\t' {
			continue
		}
		val := append([]byte(nil), v...)
		for i+1 < len(lines) && len(lines[i+1]) > 0 && (lines[i+1][0] == ' ' || lines[i+1][0] == '\t') {
			i++
			val = append(val, lines[i]...)
		}
		return string(bytes.TrimSpace(bytes.TrimSuffix(val, []byte("\r"))))
	}
	return ""
}
