package testlib

import "bytes"

// StripTrace removes the trace header lines fetchsecure prepends to a delivered message
// (deliver.Trace.Header): a leading "Received:" field, folded over several lines, that
// names "(fetchsecure ...", and a "Delivered-To:" line directly before it. What is left
// is the message as the server sent it, for comparison with the source. A message
// that does not start with that trace is returned unchanged, so a Delivered-To: of the
// message's own is kept; a trace of Delivered-To: alone (AddReceived off) is not
// recognised, since nothing tells it apart from the message's own.
func StripTrace(delivered []byte) []byte {
	rest := delivered
	if bytes.HasPrefix(rest, []byte("Delivered-To:")) {
		_, rest = cutField(rest)
	}
	field, after := cutField(rest)
	if !bytes.HasPrefix(field, []byte("Received:")) || !bytes.Contains(field, []byte("(fetchsecure ")) {
		return delivered
	}
	return after
}

// cutField splits b after its first header field, including continuation lines (lines
// that start with a space or tab, RFC 5322 §2.2.3).
func cutField(b []byte) (field, rest []byte) {
	end := 0
	for {
		i := bytes.IndexByte(b[end:], '\n')
		if i < 0 {
			return b, nil
		}
		end += i + 1
		if end >= len(b) || (b[end] != ' ' && b[end] != '\t') {
			return b[:end], b[end:]
		}
	}
}
