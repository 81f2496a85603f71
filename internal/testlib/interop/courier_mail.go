package interop

import (
	"fmt"
	"sync/atomic"
	"testing"
)

var deliverySeq atomic.Int64

// Store delivers msgs into folder of user as an MDA does (maildrop, deliverquota):
// each file written in the maildir's new/, bytes unchanged. Courier keeps them as
// they are on disk. It returns them, LF form, for the Expect functions.
func (c *Courier) Store(t testing.TB, user, password, folder string, msgs ...[]byte) [][]byte {
	t.Helper()
	dir := "/var/mail/vhome/" + user + "/Maildir"
	if name := c.Folder(folder); name != "INBOX" {
		cl := DialIMAPS(t, c.IMAPS, c.CA, user, password)
		cl.Create(name)
		cl.Logout()
		dir += "/" + name[len("INBOX"):]
	}
	held := make([][]byte, len(msgs))
	for i, m := range msgs {
		name := fmt.Sprintf("%d.M%dP1Q%d.interop", 1700000000+deliverySeq.Add(1), i, i)
		c.WriteFile(dir+"/new/"+name, m, "vmail:vmail")
		held[i] = m
	}
	return held
}
