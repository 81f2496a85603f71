package spool

import (
	"strings"
	"testing"
)

func TestReadSender(t *testing.T) {
	tests := []struct {
		header string
		want   Sender
	}{
		{"Return-Path: <a@b.example>\nFrom: C <c@d.example>\n\nbody", Sender{"a@b.example", true, "c@d.example"}},
		{"Return-Path: <>\nFrom: c@d.example\n\n", Sender{"", true, "c@d.example"}},
		{"From: \"Last, First\" <c@d.example>, e@f\n\n", Sender{"", false, "c@d.example"}},
		{"From: c@d.example (Comment)\n", Sender{"", false, "c@d.example"}},
		{"Received: x\nReturn-Path: <first@x>\nReturn-Path: <second@x>\n\n", Sender{"first@x", true, ""}},
		{"return-path:\n <-oQ/tmp/x@evil>\n\n", Sender{"-oQ/tmp/x@evil", true, ""}},
		{"Return-Path: <j\xf6rg@x>\n\n", Sender{"j\xf6rg@x", true, ""}},
		{"Return-Path: <a\rb@x>\nFrom: <c\x00d@y>\n\n", Sender{"", true, ""}},
		{"Return-Path: $(touch /tmp/x)@evil\n\n", Sender{"$(touch", true, ""}},
		{"From: Jörg <jörg@bücher.example>\n\n", Sender{"", false, "jörg@bücher.example"}},
		{"From sender@x Mon Jan  1 00:00:00 2024\nFrom: a@b\n\n", Sender{}},
		{"Subject: x\nbroken line\nFrom: a@b\n\n", Sender{}},
		{"From: a@b\n", Sender{"", false, "a@b"}},
		{"", Sender{}},
		{"\n\nFrom: a@b\n", Sender{}},
	}
	for _, tt := range tests {
		if got := ReadSender(strings.NewReader(tt.header)); got != tt.want {
			t.Errorf("ReadSender(%q) = %+v, want %+v", tt.header, got, tt.want)
		}
	}
}

func TestReadSenderBoundsHeader(t *testing.T) {
	huge := "X-Long: " + strings.Repeat("y", 2*MaxHeader) + "\nReturn-Path: <a@b>\n\n"
	if got := ReadSender(strings.NewReader(huge)); got.HasReturnPath {
		t.Errorf("ReadSender read past MaxHeader: %+v", got)
	}
	late := strings.Repeat("X-Filler: y\n", 100) + "Return-Path: <a@b>\n\n"
	if got := ReadSender(strings.NewReader(late)); got.ReturnPath != "a@b" {
		t.Errorf("ReadSender = %+v, want a@b", got)
	}
}

// FuzzReadSender feeds arbitrary headers to the sender parser: it must not panic, and
// what it returns must come from the input.
func FuzzReadSender(f *testing.F) {
	f.Add([]byte("Return-Path: <a@b.example>\nFrom: C <c@d.example>\n\nbody"))
	f.Add([]byte("Return-Path: <>\r\nFrom: =?utf-8?q?J=C3=B6rg?= <j@x>\r\n\r\n"))
	f.Add([]byte("From: \"a\\\"b\" <c@d>, (x) e@f\n\n"))
	f.Add([]byte("Return-Path: <\x00\n\t-x>\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := ReadSender(strings.NewReader(string(b)))
		for _, a := range []string{s.ReturnPath, s.From} {
			if len(a) > len(b) {
				t.Errorf("address %q longer than the input", a)
			}
			if strings.ContainsFunc(a, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Errorf("address %q holds a control character", a)
			}
		}
	})
}
