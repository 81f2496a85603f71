package imap

import (
	"context"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/fetchsecure/fetchsecure/fetch"
)

// TestHierarchyFromNamespace reports the personal namespace (RFC 2342) of the server
// on every mailbox: go-imap's server has "" and '/'; Cyrus and Courier ("INBOX." and
// '.') are covered by the interoperability tests.
func TestHierarchyFromNamespace(t *testing.T) {
	srv := startServer(t, false, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapNamespace: {}})
	src, err := srv.dial(t, Options{PlaintextOK: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	mb, err := src.Open(context.Background(), "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	h, ok := mb.(fetch.Hierarchy)
	if !ok {
		t.Fatal("the mailbox does not implement fetch.Hierarchy")
	}
	if delim, prefix := h.Hierarchy(); delim != '/' || prefix != "" {
		t.Errorf("Hierarchy() = %q, %q; want '/', \"\"", delim, prefix)
	}
}
