package fakepop3

import (
	"bufio"
	"bytes"
)

// Stuff returns data as a POP3 multi-line body (RFC 1939 §3): a '.' is added before
// every line that starts with '.', a CRLF is added if data does not end with a line
// break, and the ".\r\n" terminator follows. A line starts at the beginning and after
// every LF, the way textproto.DotReader and real servers see lines.
func Stuff(data []byte) []byte {
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	writeStuffed(w, data)
	w.Flush()
	return b.Bytes()
}

// Unstuffed returns what a correct client delivers for data: CRLF turned into LF
// (a lone CR or LF left alone), and an LF added if data does not end with a line break
// (POP3 cannot carry a message without a final line break).
func Unstuffed(data []byte) []byte {
	out := bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		out = append(out, '\n') // the server's added CRLF
	}
	return out
}

// writeStuffed writes Stuff(data) to w without copying data, so that a test can serve
// a message of any size without allocating it again.
func writeStuffed(w *bufio.Writer, data []byte) error {
	last := byte('\n')
	for len(data) > 0 {
		if data[0] == '.' {
			w.WriteByte('.')
		}
		end := bytes.IndexByte(data, '\n') + 1
		if end == 0 {
			end = len(data)
		}
		w.Write(data[:end])
		last, data = data[end-1], data[end:]
	}
	if last != '\n' {
		w.WriteString("\r\n")
	}
	_, err := w.WriteString(".\r\n")
	return err
}

// top returns the header and the first n body lines of data (RFC 1939 §7 TOP).
func top(data []byte, n int) []byte {
	i := bytes.Index(data, []byte("\r\n\r\n"))
	if i < 0 {
		return data
	}
	end := i + 4
	for ; n > 0 && end < len(data); n-- {
		next := bytes.IndexByte(data[end:], '\n')
		if next < 0 {
			return data
		}
		end += next + 1
	}
	return data[:end]
}
