package imap

import (
	"context"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/fetchsecure/fetchsecure/fetch"
)

// TestNamespacePrefix reports the personal namespace prefix (RFC 2342) on every
// mailbox: go-imap's server has ""; Cyrus and Courier ("INBOX.") are covered by the
// interoperability tests in tests/.
func TestNamespacePrefix(t *testing.T) {
	srv := startServer(t, false, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapNamespace: {}})
	src, err := srv.dial(t, Options{PlaintextOK: true, Delim: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	mb, err := src.Open(context.Background(), "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	n, ok := mb.(fetch.Namespacer)
	if !ok {
		t.Fatal("the mailbox does not implement fetch.Namespacer")
	}
	if p := n.Prefix(); p != "" {
		t.Errorf("Prefix() = %q, want \"\"", p)
	}
}
