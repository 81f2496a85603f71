// Package fetch moves messages from a mail server to a delivery target so that none is
// lost and none is delivered twice.
//
// The package defines the contracts between the protocol side (a [Source], implemented
// by fetch/imap and fetch/pop3 on a net.Conn that package tunnel dialed) and the delivery
// side (a [Sink], implemented by the packages under deliver/), and runs the pipeline that
// joins them through the durable state (internal/state):
//
//	list new → fetch (stream) → Sink.Stage → journal intent → Sink.Publish
//	        → journal delivered → Mailbox.Delete → Mailbox.Commit → journal deleted
//
// docs/design.md explains why each step comes where it does.
//
// fetch never dials and never imports deliver or tunnel: both sides meet here only
// through the interfaces below.
package fetch

import (
	"context"
	"errors"
	"io"
	"time"
)

// Ref identifies one message on the server.
type Ref struct {
	UID  uint32 // IMAP UID; 0 for POP3
	UIDL string // POP3 unique-id listing (RFC 1939 §7); "" for IMAP
	Num  int    // POP3 message number in this session; 0 for IMAP
	Size int64  // size announced by the server (RFC822.SIZE, LIST), -1 if unknown
}

// Known is what the state knows about one folder, as a Mailbox needs it to find new mail
// without listing or reading the whole folder.
type Known interface {
	// Handled reports whether the message was delivered (or deliberately skipped)
	// before. POP3 sources ask once for every message the server lists (by UIDL);
	// IMAP sources ask for each UID the server returned for Retry ∪ Since+1:*.
	Handled(ref Ref) bool
	// Since is an IMAP UID such that every message with a UID ≤ Since was handled,
	// except those listed by Retry. An IMAP source asks the server only for
	// Retry ∪ Since+1:* (e.g. "UID FETCH 5,100001:*"), so a run with nothing new
	// costs the same on a folder of ten messages and of a million.
	Since() uint32
	// Retry lists UIDs ≤ Since that were seen but not handled (a temporary delivery
	// failure, a message over the size limit), in ascending order.
	Retry() []uint32
}

// ErrCannotDelete is wrapped by Mailbox.Delete or Commit when the server offers no way
// to delete exactly the chosen messages (IMAP without UIDPLUS). The pipeline then
// keeps the messages on the server and says so, rather than failing the run.
var ErrCannotDelete = errors.New("the server cannot delete only the fetched messages")

// Source is one authenticated session with a mail server.
type Source interface {
	// Open selects a folder. A POP3 source has exactly one folder, "INBOX".
	Open(ctx context.Context, folder string) (Mailbox, error)
	// Close ends the session politely (IMAP LOGOUT). POP3 sources commit pending
	// deletions here with QUIT only if the mailbox's Commit was called; otherwise
	// they drop the connection without QUIT so the server deletes nothing.
	Close() error
}

// Mailbox is one opened folder of a Source.
type Mailbox interface {
	// Validity is the folder's IMAP UIDVALIDITY (RFC 9051 §2.3.1.1); 0 for POP3.
	Validity() uint32
	// List returns, in server order, the messages the state has not handled.
	List(ctx context.Context, known Known) ([]Ref, error)
	// Fetch streams the given messages, calling fn once per message with a reader of
	// its exact bytes, CRLF turned into LF (a lone CR or LF is left alone). fn must
	// consume or abandon the reader before returning. Fetch never buffers a whole
	// message in memory. A message the server does not return is either reported as
	// an error naming it after the others were handed to fn (POP3), or just not handed
	// to fn (IMAP: another client may have expunged it); the pipeline warns about it.
	Fetch(ctx context.Context, refs []Ref, fn func(Ref, io.Reader) error) error
	// Delete marks messages for deletion. They are gone only once Commit returns nil.
	// Refs may come from List, or carry only a UID or UIDL (deletions left pending by
	// an earlier run); a ref the server no longer has is ignored. POP3 sources resolve
	// UIDLs through the listing of List, which must have been called first.
	Delete(ctx context.Context, refs []Ref) error
	// Commit makes the deletions marked so far final (IMAP: UID EXPUNGE of exactly
	// those UIDs, RFC 4315; POP3: QUIT, after which the session is over). A source that
	// cannot delete only the marked messages (IMAP without UIDPLUS) returns an error
	// and leaves everything on the server.
	Commit(ctx context.Context) error
}

// Envelope is what a Sink learns about a message besides its bytes: where it came from,
// for trace headers, logs and the Maildir++ folder mapping.
type Envelope struct {
	Account  string // account name from the config
	Server   string // host name of the mail server
	Protocol string // "IMAP" or "POP3"
	Security string // how the session was protected, e.g. "TLS1.3", "SSH tunnel"
	Folder   string // server folder name, UTF-8
	// Delim is the server's hierarchy separator in Folder ('/' or '.', as IMAP LIST
	// reports it), 0 when the source does not know one (POP3, a flat namespace).
	Delim rune
	// Prefix is the server's personal namespace prefix (RFC 2342) when Folder starts
	// with it: "INBOX." on Cyrus and Courier, which name the folder Dovecot calls
	// "Lists/go-nuts" "INBOX.Lists.go-nuts"; "" elsewhere.
	Prefix   string
	Ref      Ref
	Received time.Time // when the fetch started
}

// Delimiter is implemented by a Mailbox that knows its server's hierarchy separator;
// the pipeline puts it in Envelope.Delim.
type Delimiter interface {
	Delim() rune
}

// Namespacer is implemented by a Mailbox that knows its server's personal namespace
// prefix; the pipeline puts it in Envelope.Prefix.
type Namespacer interface {
	Prefix() string
}

// Sink is a delivery target. Delivery is two-phase so that the pipeline can journal its
// intent between the phases: after a crash at any instant, Check tells whether a message
// whose intent was journaled reached the target.
type Sink interface {
	// Stage copies one message (LF line endings) to a place where the user does not
	// see it yet (a maildir's tmp/, a spool file) and returns a handle for Publish.
	Stage(ctx context.Context, env *Envelope, body io.Reader) (Staged, error)
	// Publish delivers a batch of staged messages durably (fsync'd, or acknowledged
	// by the MDA, LMTP or SMTP server). It returns one error per message, nil for a
	// message that is delivered; an error carrying fail.Temporary means "try again
	// next run".
	Publish(ctx context.Context, batch []Staged) []error
	// Check reports whether the message behind a receipt journaled by an interrupted
	// run was delivered.
	Check(receipt string) (Outcome, error)
}

// Verifier is implemented by a Sink whose Check tells, after a crash at any instant,
// which messages of a published batch arrived (a maildir, an mbox). Such a sink is
// given a whole batch in one Publish (a group commit). Any other sink (an MDA, an LMTP
// or SMTP server) is given one message at a time, each journaled before and after on
// its own, so that a crash leaves at most one delivery in doubt (docs/design.md).
type Verifier interface {
	// VerifiesDelivery is only a mark; a Sink that has it makes the promise above.
	VerifiesDelivery()
}

// Staged is one staged message.
type Staged interface {
	// Receipt is recorded in the journal before Publish; Check uses it after a crash.
	// It is a short single-line string (e.g. a maildir file name).
	Receipt() string
	// Discard removes the staged copy of a message that will not be published.
	Discard() error
}

// Outcome answers Sink.Check.
type Outcome int

const (
	// Unknown: the target cannot be asked (an MDA, an SMTP server). The pipeline
	// delivers the message again and reports the possible duplicate.
	Unknown Outcome = iota
	// Delivered: the message is in the target; record it, do not deliver it again.
	Delivered
	// NotDelivered: the message is not in the target; fetch and deliver it again.
	NotDelivered
)

// TimeoutConn is implemented by the connections package tunnel returns: a Read or Write
// that makes no progress for the timeout fails and closes the connection. It works on
// SSH channels too, which have no deadlines of their own.
type TimeoutConn interface {
	// SetTimeout sets the inactivity timeout; 0 disables it.
	SetTimeout(d time.Duration)
	// Arm turns the timeout on or off without forgetting it. A protocol client
	// disarms it while it expects nothing from the server (between commands, IMAP
	// IDLE) so that a quiet connection is not mistaken for a stalled one.
	Arm(on bool)
}
