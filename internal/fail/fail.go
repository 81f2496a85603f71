// Package fail classifies errors, so that the command can map each to one exit code and
// the daemon can tell a failure worth retrying from one that needs the user.
//
// A package that knows what went wrong wraps its error with a Kind:
//
//	return fail.Wrap(fail.Auth, fmt.Errorf("login as %q: %w", user, err))
//
// and may add a hint saying what to do about it. Wrapping keeps errors.Is/As working.
package fail

import (
	"errors"
	"fmt"
)

// Kind is the class of a failure.
type Kind int

// The kinds, from the user's point of view. The exit code of each is in cmd/fetchsecure.
const (
	Internal  Kind = iota // a bug or an unexpected condition
	Usage                 // bad command line
	Config                // the configuration is invalid
	Insecure              // a file holding secrets is readable by others
	Auth                  // the server refused the credentials
	Security              // TLS, STARTTLS, host key or plaintext policy refused the connection
	Temporary             // network or server trouble; trying again later may work
	Locked                // another fetchsecure holds the state lock
	Delivery              // the delivery target refused a message permanently
	Protocol              // the server broke the protocol
)

var names = [...]string{"internal error", "usage error", "configuration error",
	"insecure permissions", "authentication failed", "security check failed",
	"temporary failure", "locked", "delivery failed", "protocol error"}

func (k Kind) String() string {
	if int(k) < len(names) {
		return names[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is an error with a kind and an optional hint for the user.
type Error struct {
	Kind Kind
	Err  error
	Hint string // what the user can do, one sentence; "" if nothing useful
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Wrap gives err a kind. It returns nil for a nil err.
func Wrap(k Kind, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: k, Err: err}
}

// Hint gives err a kind and a hint.
func Hint(k Kind, err error, hint string) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: k, Err: err, Hint: hint}
}

// Errorf is fmt.Errorf with a kind.
func Errorf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Err: fmt.Errorf(format, args...)}
}

// KindOf returns the kind of the outermost classified error in err's chain, or
// Internal if there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// HintOf returns the first hint found in err's chain, or "".
func HintOf(err error) string {
	for err != nil {
		if e, ok := err.(*Error); ok && e.Hint != "" {
			return e.Hint
		}
		err = errors.Unwrap(err)
	}
	return ""
}

// IsTemporary reports whether trying again later may succeed.
func IsTemporary(err error) bool { return KindOf(err) == Temporary }
