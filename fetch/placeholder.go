package fetch

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// placeholder is the short message delivered instead of one over the size limit
// (limit_action = "placeholder"), so the user learns it exists; the original stays on
// the server.
func placeholder(env Envelope, folder string, ref Ref, limit int64) io.Reader {
	id := keyOf(ref)
	var b strings.Builder
	fmt.Fprintf(&b, "From: fetchsecure <MAILER-DAEMON>\n")
	fmt.Fprintf(&b, "Subject: [fetchsecure] a message of %d bytes was left on %s\n", ref.Size, oneLine(env.Server))
	fmt.Fprintf(&b, "Date: %s\n", time.Now().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Content-Type: text/plain; charset=utf-8\n\n")
	fmt.Fprintf(&b, "Message %s in folder %q of account %q has %d bytes,\n", id, folder, env.Account, ref.Size)
	fmt.Fprintf(&b, "more than the limit of %d bytes set for this account.\n", limit)
	fmt.Fprintf(&b, "It is still on the server. Raise `limit` or read it with a mail client.\n")
	return strings.NewReader(b.String())
}

func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
