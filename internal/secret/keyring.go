package secret

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// KeyringService is the service name of fetchsecure's passwords in the OS keyring
// (the Secret Service on Linux: GNOME Keyring, KWallet, KeePassXC); the key is the
// account's name. `secret-tool search service fetchsecure` lists them.
const KeyringService = "fetchsecure"

// Keyring is the part of an OS keyring that fetchsecure uses. Get returns an error
// matching ErrNotStored when the keyring has no such item.
type Keyring interface {
	Get(service, key string) (string, error)
	Set(service, key, value string) error
	Delete(service, key string) error
}

var (
	keyringMu sync.Mutex
	current   Keyring = osKeyring{}
)

// UseKeyring makes every keyring operation of this process use k (a fake, in tests)
// and returns the function that restores the previous keyring.
func UseKeyring(k Keyring) (restore func()) {
	keyringMu.Lock()
	defer keyringMu.Unlock()
	prev := current
	current = k
	return func() {
		keyringMu.Lock()
		current = prev
		keyringMu.Unlock()
	}
}

func theKeyring() Keyring {
	keyringMu.Lock()
	defer keyringMu.Unlock()
	return current
}

// keyringTimeout bounds a keyring operation: a locked keyring may show an unlock
// dialog that nobody answers (a variable for tests).
var keyringTimeout = 30 * time.Second

// KeyringGet returns the secret stored under service and key. A missing item is an
// error matching ErrNotStored; an unreachable or locked keyring is fail.Auth, like
// any credential that cannot be had right now.
func KeyringGet(ctx context.Context, service, key string) (Secret, error) {
	v, err := withKeyring(ctx, func(k Keyring) (string, error) { return k.Get(service, key) })
	if err != nil {
		return "", keyringError("read", service, key, err)
	}
	return Secret(v), nil
}

// KeyringSet stores value under service and key, replacing what was there.
func KeyringSet(ctx context.Context, service, key string, value Secret) error {
	_, err := withKeyring(ctx, func(k Keyring) (string, error) { return "", k.Set(service, key, value.Reveal()) })
	if err != nil {
		return keyringError("store in", service, key, err)
	}
	return nil
}

// KeyringDelete removes the item; it reports whether there was one.
func KeyringDelete(ctx context.Context, service, key string) (bool, error) {
	_, err := withKeyring(ctx, func(k Keyring) (string, error) { return "", k.Delete(service, key) })
	switch {
	case errors.Is(err, ErrNotStored):
		return false, nil
	case err != nil:
		return false, keyringError("delete from", service, key, err)
	}
	return true, nil
}

// withKeyring runs f on the keyring in a goroutine, so that a keyring that never
// answers costs a goroutine, not the run.
func withKeyring(ctx context.Context, f func(Keyring) (string, error)) (string, error) {
	type result struct {
		v   string
		err error
	}
	ch := make(chan result, 1)
	k := theKeyring()
	go func() {
		v, err := f(k)
		ch <- result{v, err}
	}()
	timer := time.NewTimer(keyringTimeout)
	defer timer.Stop()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	case <-timer.C:
		return "", fmt.Errorf("%w: no answer within %v", errKeyringStuck, keyringTimeout)
	}
}

var (
	errKeyringStuck = errors.New("the keyring did not answer")
	errNoSessionBus = errors.New("there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set), so no keyring")
)

// keyringError classifies a keyring failure. Its text never holds the secret: the
// keyring libraries do not put it in their errors.
func keyringError(op, service, key string, err error) error {
	where := fmt.Sprintf("%s the keyring (service %q, key %q)", op, service, key)
	switch {
	case errors.Is(err, ErrNotStored):
		return fmt.Errorf("%s: %w", where, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", where, err)
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return fail.Wrap(fail.Config, fmt.Errorf("%s: %w", where, err))
	case errors.Is(err, errKeyringStuck):
		return fail.Hint(fail.Auth, fmt.Errorf("%s: %w", where, err),
			"unlock the keyring (log in to the desktop session), or use password_file or password_command")
	}
	return fail.Hint(fail.Auth, fmt.Errorf("%s: %w", where, err),
		"the keyring is reachable only inside a desktop session with a Secret Service "+
			"(GNOME Keyring, KWallet, KeePassXC); under cron or over ssh use password_file or password_command")
}

// osKeyring is the real keyring, through github.com/zalando/go-keyring.
type osKeyring struct{}

func (osKeyring) Get(service, key string) (string, error) {
	if err := sessionBus(); err != nil {
		return "", err
	}
	v, err := keyring.Get(service, key)
	return v, notStored(err)
}

func (osKeyring) Set(service, key, value string) error {
	if err := sessionBus(); err != nil {
		return err
	}
	return keyring.Set(service, key, value)
}

func (osKeyring) Delete(service, key string) error {
	if err := sessionBus(); err != nil {
		return err
	}
	return notStored(keyring.Delete(service, key))
}

func notStored(err error) error {
	if errors.Is(err, keyring.ErrNotFound) {
		return ErrNotStored
	}
	return err
}

// sessionBus checks, on systems where the keyring is the Secret Service, that a D-Bus
// session bus can be found without starting one: godbus would otherwise run
// dbus-launch, leaving a bus daemon behind every cron run.
func sessionBus() error {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		return nil
	}
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return nil
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		if fi, err := os.Stat(filepath.Join(dir, "bus")); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return nil
		}
	}
	return errNoSessionBus
}
