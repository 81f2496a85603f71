package secret

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// fakeKeyring is an in-memory Keyring whose calls can fail or block.
type fakeKeyring struct {
	mu    sync.Mutex
	items map[string]string
	err   error
	block chan struct{} // non-nil: calls wait for it to close
}

func newFakeKeyring() *fakeKeyring { return &fakeKeyring{items: map[string]string{}} }

func (f *fakeKeyring) wait() error {
	if f.block != nil {
		<-f.block
	}
	return f.err
}

func (f *fakeKeyring) Get(service, key string) (string, error) {
	if err := f.wait(); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.items[service+"/"+key]
	if !ok {
		return "", ErrNotStored
	}
	return v, nil
}

func (f *fakeKeyring) Set(service, key, value string) error {
	if err := f.wait(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[service+"/"+key] = value
	return nil
}

func (f *fakeKeyring) Delete(service, key string) error {
	if err := f.wait(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.items[service+"/"+key]; !ok {
		return ErrNotStored
	}
	delete(f.items, service+"/"+key)
	return nil
}

func TestKeyringSource(t *testing.T) {
	defer UseKeyring(newFakeKeyring())()
	ctx := context.Background()
	src := Source{Keyring: true, Account: "work"}
	if _, err := src.Resolve(ctx); !Missing(err) || fail.KindOf(err) != fail.Config ||
		!strings.Contains(err.Error(), `key "work"`) {
		t.Fatalf("empty keyring: %v", err)
	}
	if err := KeyringSet(ctx, KeyringService, "work", "hunter2"); err != nil {
		t.Fatal(err)
	}
	if got, err := src.Resolve(ctx); err != nil || got.Reveal() != "hunter2" {
		t.Fatalf("Resolve = %q, %v", got.Reveal(), err)
	}
	if src.String() != "keyring" {
		t.Errorf("String() = %q", src.String())
	}
	for _, want := range []bool{true, false} {
		if had, err := KeyringDelete(ctx, KeyringService, "work"); had != want || err != nil {
			t.Errorf("KeyringDelete = %v, %v; want %v", had, err, want)
		}
	}
}

func TestKeyringFailures(t *testing.T) {
	f := newFakeKeyring()
	f.err = errors.New("org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided")
	defer UseKeyring(f)()
	_, err := Source{Keyring: true, Account: "work"}.Resolve(context.Background())
	if fail.KindOf(err) != fail.Auth || Missing(err) || !strings.Contains(fail.HintOf(err), "password_file") {
		t.Errorf("unreachable: %v (%v), hint %q", err, fail.KindOf(err), fail.HintOf(err))
	}
	f.err = keyring.ErrSetDataTooBig
	if err := KeyringSet(context.Background(), KeyringService, "work", "x"); fail.KindOf(err) != fail.Config {
		t.Errorf("too big: %v (%v)", err, fail.KindOf(err))
	}
}

func TestKeyringStuck(t *testing.T) {
	defer func(d time.Duration) { keyringTimeout = d }(keyringTimeout)
	keyringTimeout = 100 * time.Millisecond
	f := newFakeKeyring()
	f.block = make(chan struct{})
	defer close(f.block) // lets the abandoned goroutine finish
	defer UseKeyring(f)()
	_, err := KeyringGet(context.Background(), KeyringService, "work")
	if fail.KindOf(err) != fail.Auth || !errors.Is(err, errKeyringStuck) || !strings.Contains(fail.HintOf(err), "unlock") {
		t.Errorf("stuck keyring: %v (%v)", err, fail.KindOf(err))
	}
}

// The real backend goes through go-keyring, here its in-memory mock.
func TestOSKeyringWithGoKeyringMock(t *testing.T) {
	keyring.MockInit()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus") // the mock needs no bus
	k := osKeyring{}
	if _, err := k.Get(KeyringService, "work"); !errors.Is(err, ErrNotStored) {
		t.Fatalf("Get on empty mock: %v", err)
	}
	if err := k.Set(KeyringService, "work", "hunter2"); err != nil {
		t.Fatal(err)
	}
	if v, err := k.Get(KeyringService, "work"); v != "hunter2" || err != nil {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if err := k.Delete(KeyringService, "work"); err != nil {
		t.Fatal(err)
	}
	if err := k.Delete(KeyringService, "work"); !errors.Is(err, ErrNotStored) {
		t.Fatalf("second Delete: %v", err)
	}
}

// Without a session bus the real backend says so at once, and starts no dbus-launch.
func TestOSKeyringWithoutSessionBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	start := time.Now()
	_, err := KeyringGet(context.Background(), KeyringService, "work")
	if !errors.Is(err, errNoSessionBus) || fail.KindOf(err) != fail.Auth || time.Since(start) > 10*time.Second {
		t.Errorf("err = %v (%v) after %v", err, fail.KindOf(err), time.Since(start))
	}
}
