// Package secret holds credentials so that they cannot leak by accident, and resolves
// them from where the configuration says they are (a literal, a command, a file, the
// OS keyring, a netrc file) only when they are needed.
//
// A Secret prints as *** under every fmt verb, in slog and in text/JSON encodings; only
// Reveal returns the value, so every place that uses a credential is easy to find.
package secret

import (
	"fmt"
	"io/fs"
	"log/slog"
)

// Secret is a password, passphrase or token.
type Secret string

const mask = "***"

// Reveal returns the secret's value. Call it only where the value is sent or checked.
func (s Secret) Reveal() string { return string(s) }

// String returns "***".
func (Secret) String() string { return mask }

// GoString returns "***", so %#v does not print the value either.
func (Secret) GoString() string { return mask }

// Format prints "***" whatever the verb (%x and %q included).
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(mask)) }

// LogValue makes slog print "***".
func (Secret) LogValue() slog.Value { return slog.StringValue(mask) }

// MarshalText makes encoders (JSON, TOML, ...) write "***".
func (Secret) MarshalText() ([]byte, error) { return []byte(mask), nil }

// Exposed reports whether a file of this mode can be read by its group or by others,
// which fetchsecure refuses for any file holding a secret (as fetchmail does).
func Exposed(mode fs.FileMode) bool { return mode.Perm()&0o044 != 0 }
