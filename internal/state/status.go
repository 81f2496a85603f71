package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/safeio"
)

// Status is what `fetchsecure status` shows: per account and folder, when the last
// fetch succeeded, the last error, how many messages were fetched and when the next
// poll is due. The process holding the lock (a daemon, or a --once run) writes it to
// $state_dir/status.json, atomically, whenever it changes; readers need no lock and
// always see a whole file. It is a report, not part of the durable state: losing it
// loses nothing but the report.
type Status struct {
	PID      int              `json:"pid"`
	Mode     string           `json:"mode"` // "daemon" or "once"
	Started  time.Time        `json:"started"`
	Updated  time.Time        `json:"updated"`
	Accounts []*AccountStatus `json:"accounts"`
}

// AccountStatus is the status of one account.
type AccountStatus struct {
	Name        string          `json:"name"`
	Busy        bool            `json:"busy,omitempty"` // a fetch is running
	LastAttempt time.Time       `json:"last_attempt,omitzero"`
	LastSuccess time.Time       `json:"last_success,omitzero"`
	LastError   string          `json:"last_error,omitempty"` // of the last attempt; "" if it succeeded
	ErrorKind   string          `json:"error_kind,omitempty"`
	Failures    int             `json:"failures,omitempty"` // consecutive failed attempts
	RetryDelay  Duration        `json:"retry_delay,omitzero"`
	NextPoll    time.Time       `json:"next_poll,omitzero"` // zero: none scheduled (--once)
	Fetched     int             `json:"fetched"`            // messages delivered, in total
	Folders     []*FolderStatus `json:"folders"`
}

// FolderStatus is the status of one folder of an account.
type FolderStatus struct {
	Name        string    `json:"name"`
	Watch       string    `json:"watch,omitempty"` // "idle", "connecting", "polled" (daemon)
	WatchError  string    `json:"watch_error,omitempty"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	LastNew     int       `json:"last_new"` // messages delivered by the last fetch
	Fetched     int       `json:"fetched"`  // messages delivered, in total
}

// Duration is a time.Duration written as "1m30s" in JSON.
type Duration time.Duration

func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = Duration(v)
	return err
}

// StatusFile returns the path of the status file of stateDir.
func StatusFile(stateDir string) string { return filepath.Join(stateDir, "status.json") }

// ReadStatus reads the status file of stateDir. Without one the error wraps
// os.ErrNotExist.
func ReadStatus(stateDir string) (*Status, error) {
	b, err := os.ReadFile(StatusFile(stateDir))
	if err != nil {
		return nil, fmt.Errorf("read status: %w", err)
	}
	var s Status
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("status file %s is damaged: %w", StatusFile(stateDir), err)
	}
	return &s, nil
}

// WriteStatus replaces the status file of stateDir with s.
func WriteStatus(stateDir string, s *Status) error {
	if err := mkdir(stateDir); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode status: %w", err)
	}
	if err := safeio.WriteFile(StatusFile(stateDir), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}

// Account returns the status of the named account, adding it if needed.
func (s *Status) Account(name string) *AccountStatus {
	for _, a := range s.Accounts {
		if a.Name == name {
			return a
		}
	}
	a := &AccountStatus{Name: name}
	s.Accounts = append(s.Accounts, a)
	return a
}

// Folder returns the status of the named folder, adding it if needed.
func (a *AccountStatus) Folder(name string) *FolderStatus {
	for _, f := range a.Folders {
		if f.Name == name {
			return f
		}
	}
	f := &FolderStatus{Name: name}
	a.Folders = append(a.Folders, f)
	return f
}

// Clone returns a deep copy, for writing while the original keeps changing.
func (s *Status) Clone() *Status {
	c := *s
	c.Accounts = make([]*AccountStatus, len(s.Accounts))
	for i, a := range s.Accounts {
		ac := *a
		ac.Folders = make([]*FolderStatus, len(a.Folders))
		for j, f := range a.Folders {
			fc := *f
			ac.Folders[j] = &fc
		}
		c.Accounts[i] = &ac
	}
	return &c
}

// IsNotExist reports whether err says there is no status file yet.
func IsNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }
