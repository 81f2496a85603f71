// Package mda delivers messages by running a mail delivery agent (procmail, maildrop,
// dovecot-lda, ...) once per message with the message on its standard input.
//
// # The command line
//
// The command is an argv list run with exec, never through a shell, in fetchsecure's
// working directory and environment. Its arguments may hold these substitutions:
//
//	%T  the recipient, Options.DeliverTo
//	%F  the envelope sender, from the message's header (see below)
//	%%  a literal %
//
// A substitution only ever becomes part of the one argument it is written in, so a
// value can neither split into several words nor smuggle in shell syntax. The sender
// comes from the mail server and may be hostile (fetchmail's %F quoting was broken more
// than once), so %F keeps only [A-Za-z0-9.@_+=-]: every other character becomes '_',
// and so does a leading '-' or '.', so that the value can never become an option or a
// dot-file name. %T is checked by New: it must not start with '-'. The command itself
// (argv[0]) may hold no substitution.
//
// %F is the address of the first Return-Path field, which the last server set from the
// SMTP envelope. A null Return-Path (<>, a bounce) gives NullSender; only without any
// Return-Path does %F fall back to the first address of the From field, as fetchmail
// does, and to NullSender when that is missing too.
//
// # Exit status
//
// Exit status 0 means delivered. 75 (EX_TEMPFAIL) is a temporary failure: the message is
// kept on the server and tried again next run. Any other status (1, or the sysexits 64-78
// such as 67 EX_NOUSER, 69 EX_UNAVAILABLE, 73 EX_CANTCREAT) and death by a signal are
// permanent failures (fail.Delivery), reported with the status and the tail of the MDA's
// output. A run that exceeds Options.Timeout is killed with its whole process group and
// counts as temporary.
//
// # An MDA that exits 0 has the message
//
// fetchsecure can only trust the exit status. An MDA that exits 0 although it did not
// store the message loses it for good, since the message is then deleted on the server.
// procmail is the classic case: a pipe recipe without the `w` flag does not wait for its
// program's status, and a message that falls through the recipes lands in $DEFAULT (or
// the system mailbox) with status 0. Run procmail with -t so that its failures come back
// as 75 rather than 73, give pipe recipes the `w` flag, set LOGFILE, and make sure
// $DEFAULT is where you look for mail.
//
// # Spooling
//
// Stage writes the message (trace header lines first) to a private spool file (package
// deliver/spool) and Publish feeds that file to the MDA, one message at a time because
// MDAs are often not safe to run concurrently. An MDA cannot be asked afterwards whether
// it got a message, so Check answers fetch.Unknown and the pipeline delivers again, and
// reports the possible duplicate, after a crash. Since MDA is not a fetch.Verifier, the
// pipeline hands it one message at a time between journal records, so a crash leaves
// at most one message in doubt (docs/design.md).
package mda

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/fetchsecure/fetchsecure/deliver"
	"github.com/fetchsecure/fetchsecure/deliver/spool"
	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// DefaultTimeout bounds one run of the MDA when Options.Timeout is 0.
const DefaultTimeout = 10 * time.Minute

// Options configures an MDA.
type Options struct {
	// SpoolDir holds staged messages until the MDA has them; "" means os.TempDir().
	// It must not be writable by other users unless it has the sticky bit.
	SpoolDir string
	// Trace decides the header lines prepended to every message.
	Trace deliver.Trace
	// DeliverTo is the recipient that %T stands for. Required if the command uses %T.
	DeliverTo string
	// Timeout bounds one run of the MDA; 0 means DefaultTimeout.
	Timeout time.Duration
}

// MDA is a fetch.Sink that runs a delivery agent per message.
type MDA struct {
	path    string // argv[0] resolved through PATH once, at New
	tmpl    template
	to      string
	timeout time.Duration
	trace   deliver.Trace
	spool   *spool.Dir
}

var _ fetch.Sink = (*MDA)(nil)

// New checks the command line and the options. argv[0] is looked up in PATH now, so
// that a missing program is a configuration error rather than a failed delivery.
func New(argv []string, opts Options) (*MDA, error) {
	tmpl, err := parseTemplate(argv)
	if err != nil {
		return nil, err
	}
	if err := checkRecipient(opts.DeliverTo, tmpl.uses('T')); err != nil {
		return nil, err
	}
	path, err := exec.LookPath(argv[0])
	if err == nil {
		path, err = filepath.Abs(path) // so that a later chdir cannot change the program
	}
	if err != nil {
		return nil, fail.Hint(fail.Config, fmt.Errorf("mda: %w", err),
			"install the delivery agent or give its full path")
	}
	dir, err := spool.Open(opts.SpoolDir)
	if err != nil {
		return nil, err
	}
	m := &MDA{path: path, tmpl: tmpl, to: opts.DeliverTo, timeout: opts.Timeout,
		trace: opts.Trace, spool: dir}
	if m.timeout <= 0 {
		m.timeout = DefaultTimeout
	}
	return m, nil
}

// checkRecipient refuses a %T value that could become an option or hold a control
// character. It comes from the configuration, so a bad one is a configuration error.
func checkRecipient(to string, used bool) error {
	switch {
	case used && to == "":
		return fail.Errorf(fail.Config, "mda: the command uses %%T but no recipient (deliver_to) is set")
	case strings.HasPrefix(to, "-"):
		return fail.Errorf(fail.Config, "mda: recipient %q starts with '-'", to)
	case strings.ContainsFunc(to, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fail.Errorf(fail.Config, "mda: recipient %q holds a control character", to)
	}
	return nil
}

// Stage copies the trace header lines and the message to a spool file.
func (m *MDA) Stage(ctx context.Context, env *fetch.Envelope, body io.Reader) (fetch.Staged, error) {
	return m.spool.Write(ctx, m.trace.Header(env), body)
}

// Publish runs the MDA once per message, one after the other, and removes the spool
// files. It returns one error per message.
func (m *MDA) Publish(ctx context.Context, batch []fetch.Staged) []error {
	return spool.Publish(ctx, batch, func(msg *spool.Message) error { return m.deliver(ctx, msg) })
}

// Check answers fetch.Unknown: an MDA cannot be asked whether it got a message. It
// removes the spool file the interrupted run may have left behind.
func (m *MDA) Check(receipt string) (fetch.Outcome, error) {
	return fetch.Unknown, m.spool.Forget(receipt)
}

// envelopeSender chooses the %F value; see the package documentation.
func envelopeSender(s spool.Sender) string {
	if s.HasReturnPath {
		return safeSender(s.ReturnPath)
	}
	return safeSender(s.From)
}
