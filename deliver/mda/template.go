package mda

import (
	"fmt"
	"strings"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// template is a parsed MDA command line: one slice of parts per argv element. Because
// the elements stay separate and no shell ever sees them, a substituted value is always
// part of exactly one argument, whatever it holds.
type template [][]part

// part is a literal or a substitution (sub is 'T' or 'F').
type part struct {
	lit string
	sub byte
}

// parseTemplate splits each argument into literals and %T/%F substitutions; %% is a
// literal '%'. Any other % sequence is an error, and argv[0] may hold no substitution:
// the sender of a message must not choose the program.
func parseTemplate(argv []string) (template, error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, fail.Errorf(fail.Config, "mda: no command given")
	}
	t := make(template, len(argv))
	for i, arg := range argv {
		if strings.IndexByte(arg, 0) >= 0 {
			return nil, fail.Errorf(fail.Config, "mda: argument %d holds a NUL byte", i)
		}
		parts, err := parseArg(arg)
		if err != nil {
			return nil, fail.Wrap(fail.Config, fmt.Errorf("mda: argument %q: %w", arg, err))
		}
		if i == 0 && (len(parts) != 1 || parts[0].sub != 0) {
			return nil, fail.Errorf(fail.Config, "mda: the command %q may not hold a substitution", arg)
		}
		t[i] = parts
	}
	return t, nil
}

func parseArg(arg string) ([]part, error) {
	var parts []part
	var lit strings.Builder
	for i := 0; i < len(arg); i++ {
		if arg[i] != '%' {
			lit.WriteByte(arg[i])
			continue
		}
		if i+1 == len(arg) {
			return nil, fmt.Errorf("lone %% at the end (write %%%% for a %%)")
		}
		i++
		switch c := arg[i]; c {
		case '%':
			lit.WriteByte('%')
		case 'T', 'F':
			if lit.Len() > 0 {
				parts = append(parts, part{lit: lit.String()})
				lit.Reset()
			}
			parts = append(parts, part{sub: c})
		default:
			return nil, fmt.Errorf("unknown substitution %%%c (known: %%T, %%F, %%%%)", c)
		}
	}
	if lit.Len() > 0 || len(parts) == 0 {
		parts = append(parts, part{lit: lit.String()})
	}
	return parts, nil
}

// uses reports whether any argument holds the substitution sub.
func (t template) uses(sub byte) bool {
	for _, parts := range t {
		for _, p := range parts {
			if p.sub == sub {
				return true
			}
		}
	}
	return false
}

// expand returns argv with %T replaced by to and %F by from. Both must already be safe:
// to is checked by New, from comes from safeSender.
func (t template) expand(to, from string) []string {
	argv := make([]string, len(t))
	for i, parts := range t {
		var b strings.Builder
		for _, p := range parts {
			switch p.sub {
			case 'T':
				b.WriteString(to)
			case 'F':
				b.WriteString(from)
			default:
				b.WriteString(p.lit)
			}
		}
		argv[i] = b.String()
	}
	return argv
}

// NullSender is what %F becomes when the message names no usable sender: when it has a
// null Return-Path (<>, a bounce), no Return-Path and no From, or an address that is
// empty or too long once made safe. mbox "From " lines use the same name for bounces.
const NullSender = "MAILER-DAEMON"

// maxSender is the longest %F value: the longest path RFC 5321 §4.5.3.1.3 allows.
const maxSender = 256

// safeSender makes an address safe for a command line: every character outside
// [A-Za-z0-9.@_+=-] becomes '_' (one per character, or per byte of invalid UTF-8), and a
// leading '-' or '.' becomes '_' so that the value can be neither an option nor a
// hidden or parent path. The result is never empty.
func safeSender(addr string) string {
	if addr == "" || len(addr) > maxSender {
		return NullSender
	}
	var b strings.Builder
	for i, r := range addr {
		switch {
		case i == 0 && (r == '-' || r == '.'):
			b.WriteByte('_')
		case safeRune(r):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// safeRune reports whether r is one of [A-Za-z0-9.@_+=-].
func safeRune(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' ||
		strings.ContainsRune(".@_+=-", r)
}
