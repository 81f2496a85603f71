package interop

import (
	"bytes"
	"testing"
)

// The Expect functions encode what the servers were measured to do; these cases pin
// the rules themselves, so that a change to one is deliberate.
func TestExpectRules(t *testing.T) {
	for _, tt := range []struct {
		name     string
		f        func([]byte) []byte
		in, want string
	}{
		{"cyrus pop3 NUL", ExpectCyrusPOP3, "H: a\x00b\nX: y\n\nbefore\x00after\nend", "H: aX: y\n\nbeforeend\n"},
		{"courier pop3 final newline", ExpectCourierPOP3, "S: x\n\nno newline", "S: x\n\nno newline\n"},
		{"popa3d no separator", ExpectPopa3d, "S: x\r\n\r\nbody\r\n", "S: x\r\n\r\nbody\r\n\n"},
		{"popa3d separator", ExpectPopa3d, "S: x\n\nbody\n", "S: x\n\nbody\n"},
		{"exim", ExpectExim, "X-Cr: a\rb\nX-Nul: a\x00b\n\none\rtwo\x00\n", "X-Cr: a\n b\nX-Nul: a?b\n\none\ntwo\x00\n"},
		{"exim headers only", ExpectExim, "S: x\n", "S: x\n\n"},
		{"postfix", ExpectPostfix, "X-Cr: a\rb\nX-Nul: a\x00b\n\none\rtwo\x00\n", "X-Cr: a b\nX-Nul: a\n\none two\x00\n"},
		{"cyrus lmtp", ExpectCyrusLMTP, "Subject: \xe9t\xe9\n\nbody \xe9\n",
			"Subject: XtX\nMessage-ID: <cmu-lmtpd-*>\nDate: *\n\nbody \xe9\n"},
	} {
		if got := tt.f([]byte(tt.in)); !bytes.Equal(got, []byte(tt.want)) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestCyrusLMTPRefuses(t *testing.T) {
	for in, want := range map[string]string{
		"S: x\n\nbody\n":       "",
		"S: x\n\nnul\x00\n":    "554 5.6.0 Message contains NUL characters",
		"X-Cr: a\rb\n\nbody\n": "554 5.6.0 Message contains invalid header",
		"S: x\n\none\rtwo\n":   "",
	} {
		if got := CyrusLMTPRefuses([]byte(in)); got != want {
			t.Errorf("CyrusLMTPRefuses(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestStripServerTrace removes what a delivery server put above fetchsecure's trace
// fields, then those, and nothing else.
func TestStripServerTrace(t *testing.T) {
	ours := "Delivered-To: alex\nReceived: from imap.example\n\tby host with IMAP\n\t(fetchsecure account a, folder INBOX, uid 1); Mon, 1 Jan 2024 00:00:00 +0000\n"
	msg := "Delivered-To: own\nSubject: x\n\nbody\n"
	for _, server := range []string{
		"",
		"Return-Path: <>\nX-Original-To: alex@x\nDelivered-To: alex@x\nReceived: from localhost\n\tby x (Postfix); now\n",
		"Return-Path: <>\nReceived: from localhost\n\t by localhost (Cyrus); now\nX-Cyrus-Session-Id: s\nX-Sieve: CMU Sieve 3.0\n",
	} {
		if got := StripServerTrace([]byte(server + ours + msg)); string(got) != msg {
			t.Errorf("StripServerTrace(%q...) = %q, want %q", server, got, msg)
		}
	}
	if got := StripServerTrace([]byte(msg)); string(got) != msg {
		t.Errorf("a message without fetchsecure's trace changed: %q", got)
	}
}
