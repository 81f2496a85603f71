// Package state is fetchsecure's durable memory: which messages of each account and
// folder were handled, which deliveries were under way when a run was interrupted, and
// which delivered messages still wait to be deleted on the server.
//
// Each account has a directory holding a snapshot and an append-only journal. Every
// change is one journal record, appended and fsync'd before the caller goes on, so the
// state after a crash is exactly the state after the last completed call. Records are
// idempotent and carry a CRC; a record torn by a crash at the end of the journal is
// cut off on the next open. When the journal grows past the snapshot, Close writes a new
// snapshot (atomically) and starts a new journal generation: the cost per message stays
// O(1) whatever the size of the folder (docs/design.md, "The state").
package state

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fetchsecure/fetchsecure/internal/safeio"
)

// Key names one message in a folder: an IMAP UID or a POP3 UIDL.
type Key struct {
	UID  uint32
	UIDL string
}

func (k Key) String() string {
	if k.UIDL != "" {
		return k.UIDL
	}
	return fmt.Sprint(k.UID)
}

// Intent is a delivery journaled before it is published: the message and the receipt
// with which the delivery target can later tell whether it arrived.
type Intent struct {
	Key     Key
	Receipt string
	// ID is the message's Message-ID hash (MessageID), or "". A delivery found complete
	// after a crash is recorded with it, so that de-duplication knows the message.
	ID string `json:",omitempty"`
}

// Settlement is the outcome of a batch of deliveries.
type Settlement struct {
	Done   []Key  // delivered, or deliberately skipped: never fetch again
	Retry  []Key  // not delivered: fetch again next run (IMAP; POP3 retries by omission)
	Since  uint32 // IMAP: every UID ≤ Since is now in Done, Retry or handled before
	Delete bool   // the Done messages must be deleted on the server (keep = false)
	IDs    []string
}

// AccountDir returns the directory of an account's state under stateDir. Account names
// are arbitrary TOML keys; names that are not plain file names are hashed.
func AccountDir(stateDir, account string) string {
	return filepath.Join(stateDir, "accounts", fileName(account))
}

func fileName(name string) string {
	plain := name != "" && len(name) <= 64 && !strings.HasPrefix(name, ".")
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '-' || r == '_' || r == '.' || r == '@') {
			plain = false
		}
	}
	if plain {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return "h-" + hex.EncodeToString(sum[:12])
}

// MessageID turns a Message-ID header value into the short hash the state keeps for
// de-duplication, or "" if there is none.
func MessageID(v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:8])
}

// mkdir creates dir with mode 0700 if needed and refuses it if another local user
// could write to it (safeio.CheckPrivate): whoever can change the journal can have mail
// deleted that was never delivered. Under an account's directory, accounts/ and the
// state directory above it are checked too.
func mkdir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}
	dirs := []string{dir}
	if parent := filepath.Dir(dir); filepath.Base(parent) == "accounts" {
		dirs = append(dirs, parent, filepath.Dir(parent))
	}
	for _, d := range dirs {
		if err := safeio.CheckPrivate(d); err != nil {
			return fmt.Errorf("state directory: %w", err)
		}
	}
	return nil
}
