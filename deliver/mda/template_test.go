package mda

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/deliver/spool"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

func TestParseTemplate(t *testing.T) {
	good := map[string][]string{
		"/usr/bin/procmail -f %F -m rc": {"/usr/bin/procmail", "-f", "a@b", "-m", "rc"},
		"prog --to=%T --from=%F":        {"prog", "--to=u@x", "--from=a@b"},
		"prog %%F 100%% %T%F %F%%":      {"prog", "%F", "100%", "u@xa@b", "a@b%"},
		"%%prog ''":                     {"%prog", ""},
	}
	for in, want := range good {
		argv := strings.Fields(in)
		if argv[len(argv)-1] == "''" {
			argv[len(argv)-1] = ""
		}
		tmpl, err := parseTemplate(argv)
		if err != nil {
			t.Errorf("parseTemplate(%q) = %v", argv, err)
			continue
		}
		if got := tmpl.expand("u@x", "a@b"); !slices.Equal(got, want) {
			t.Errorf("expand(%q) = %q, want %q", argv, got, want)
		}
	}
	bad := [][]string{nil, {""}, {"%F"}, {"prog%T"}, {"prog", "%X"}, {"prog", "50%"},
		{"prog", "%"}, {"prog", "a\x00b"}, {"prog", "%s"}}
	for _, argv := range bad {
		if _, err := parseTemplate(argv); fail.KindOf(err) != fail.Config {
			t.Errorf("parseTemplate(%q) = %v, want a config error", argv, err)
		}
	}
}

func TestEnvelopeSender(t *testing.T) {
	tests := []struct {
		header, want string
	}{
		{"Return-Path: <a.b+c=d@e-f.example>\nFrom: x@y\n\n", "a.b+c=d@e-f.example"},
		{"Return-Path: <>\nFrom: x@y\n\n", NullSender},
		{"From: Someone <x@y>\n\n", "x@y"},
		{"Subject: none\n\n", NullSender},
		{"Return-Path: <-oQ/tmp/x@evil>\n\n", "_oQ_tmp_x@evil"},
		{"Return-Path: <--help>\n\n", "_-help"},
		{"Return-Path: <.procmailrc>\n\n", "_procmailrc"},
		{"Return-Path: <../../etc@x>\n\n", "_._.._etc@x"},
		{"Return-Path: <$(touch /tmp/pwned)@evil>\n\n", "__touch__tmp_pwned_@evil"},
		{"Return-Path: <`id`;rm -rf ~@evil>\n\n", "_id__rm_-rf__@evil"},
		{"Return-Path: <a b@x>\n\n", "a_b@x"},
		{"Return-Path: <\"a'b\\\" c\"@x>\n\n", "a_b__c@x"},
		{"Return-Path: <a\n\t-rf@x>\n\n", "a_-rf@x"},
		{"Return-Path: <a\rb@x>\n\n", NullSender},
		{"Return-Path: <j\xf6rg@x>\n\n", "j_rg@x"},
		{"Return-Path: <jörg@x>\n\n", "j_rg@x"},
		{"From: Evil <-x@y>\n\n", "_x@y"},
		{"Return-Path: <" + strings.Repeat("a", 300) + "@x>\n\n", NullSender},
	}
	for _, tt := range tests {
		got := envelopeSender(spool.ReadSender(strings.NewReader(tt.header)))
		if got != tt.want {
			t.Errorf("envelopeSender(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

// FuzzExpand checks that no message header and no accepted command template lets the
// sender add an argument, start an option, or put a byte outside [A-Za-z0-9.@_+=-]
// into %F.
func FuzzExpand(f *testing.F) {
	f.Add("/usr/bin/procmail\x00-f\x00%F\x00-m\x00rc", []byte("Return-Path: <-oQ/tmp/x@evil>\n\n"), "u@x")
	f.Add("prog\x00%T%F\x00x%%F%F", []byte("From: \"a b\" <$(id)@x>\n\n"), "user+tag@example.org")
	f.Add("prog\x00%F", []byte("Return-Path: <a\n -b@x>\nReturn-Path: <c@d>\n\n"), "")
	f.Add("prog\x00--opt=%F\x00%F%T", []byte("Return-Path: <>\n\n"), "u")
	f.Fuzz(func(t *testing.T, tmplArgs string, header []byte, to string) {
		argv := strings.Split(tmplArgs, "\x00")
		tmpl, err := parseTemplate(argv)
		if err != nil || checkRecipient(to, tmpl.uses('T')) != nil {
			return
		}
		from := envelopeSender(spool.ReadSender(bytes.NewReader(header)))
		if from == "" || from[0] == '-' || from[0] == '.' ||
			strings.ContainsFunc(from, func(r rune) bool { return !safeRune(r) }) {
			t.Fatalf("sender %q is not safe", from)
		}
		out := tmpl.expand(to, from)
		if len(out) != len(argv) {
			t.Fatalf("expand(%q) = %d arguments, want %d", argv, len(out), len(argv))
		}
		for i, arg := range out {
			if strings.HasPrefix(arg, "-") && !strings.HasPrefix(argv[i], "-") {
				t.Fatalf("argument %q from %q starts an option", arg, argv[i])
			}
		}
		if want := strings.ReplaceAll(argv[0], "%%", "%"); out[0] != want {
			t.Fatalf("command %q became %q", argv[0], out[0])
		}
	})
}
