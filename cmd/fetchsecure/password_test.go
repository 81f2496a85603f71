package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/secret"
)

// memKeyring is an in-memory keyring; err, if set, fails every call.
type memKeyring struct {
	mu    sync.Mutex
	items map[string]string
	err   error
}

func useMemKeyring(t *testing.T) *memKeyring {
	k := &memKeyring{items: map[string]string{}}
	t.Cleanup(secret.UseKeyring(k))
	return k
}

func (k *memKeyring) Get(service, key string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return "", k.err
	}
	v, ok := k.items[service+"/"+key]
	if !ok {
		return "", secret.ErrNotStored
	}
	return v, nil
}

func (k *memKeyring) Set(service, key, value string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return k.err
	}
	k.items[service+"/"+key] = value
	return nil
}

func (k *memKeyring) Delete(service, key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return k.err
	}
	if _, ok := k.items[service+"/"+key]; !ok {
		return secret.ErrNotStored
	}
	delete(k.items, service+"/"+key)
	return nil
}

// writeTestConfig writes a config with accounts "work" (keyring) and "other" (none).
func writeTestConfig(t *testing.T, extra string) string {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	p := filepath.Join(dir, "config.toml")
	body := `state_dir = "state"
[account.work]
protocol = "imap"
host = "mail.example.org"
user = "me"
password_keyring = true
maildir = "Maildir"

[account.other]
protocol = "imap"
host = "mail.example.org"
user = "me"
maildir = "Maildir"
` + extra
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type outcome struct {
	code           int
	stdout, stderr string
}

func runMain(t *testing.T, input string, args ...string) outcome {
	t.Helper()
	defer func(r io.Reader) { stdin = r }(stdin)
	stdin = strings.NewReader(input)
	var out, errb bytes.Buffer
	code := dispatch(args, &out, &errb)
	return outcome{code, out.String(), errb.String()}
}

func TestPasswordSetAndDelete(t *testing.T) {
	k := useMemKeyring(t)
	cfg := writeTestConfig(t, "")
	r := runMain(t, "hunter2\r\nignored\n", "password", "-c", cfg, "set", "work", "--stdin")
	if r.code != 0 || k.items["fetchsecure/work"] != "hunter2" || strings.Contains(r.stdout+r.stderr, "hunter2") ||
		strings.Contains(r.stdout, "Note:") {
		t.Fatalf("set: %+v; keyring %v", r, k.items)
	}
	r = runMain(t, "s3cret\n", "password", "--stdin", "set", "-c", cfg, "other")
	if r.code != 0 || !strings.Contains(r.stdout, "add password_keyring = true to [account.other]") {
		t.Errorf("set other: %+v", r)
	}
	r = runMain(t, "", "password", "-c", cfg, "delete", "work")
	if r.code != 0 || !strings.Contains(r.stdout, "Deleted") || len(k.items) != 1 {
		t.Errorf("delete: %+v; keyring %v", r, k.items)
	}
	r = runMain(t, "", "password", "-c", cfg, "delete", "work")
	if r.code != 0 || !strings.Contains(r.stdout, "held no password") {
		t.Errorf("delete again: %+v", r)
	}
}

func TestPasswordSetRefuses(t *testing.T) {
	k := useMemKeyring(t)
	cfg := writeTestConfig(t, "")
	for _, tc := range []struct {
		input string
		args  []string
		code  int
		want  string
	}{
		{"x\n", []string{"set", "work"}, 2, "use --stdin"}, // go test's stdin is no terminal
		{"\n", []string{"set", "--stdin", "work"}, 2, "empty"},
		{"", []string{"set", "--stdin", "work"}, 2, "empty"},
		{"a\x00b\n", []string{"set", "--stdin", "work"}, 2, "NUL"},
		{"x\n", []string{"set", "--stdin", "nosuch"}, 2, "no [account.nosuch]"},
		{"x\n", []string{"change", "work"}, 2, "usage: fetchsecure password set"},
		{"x\n", []string{"set"}, 2, "usage:"},
	} {
		r := runMain(t, tc.input, append([]string{"password", "-c", cfg}, tc.args...)...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) || len(k.items) != 0 {
			t.Errorf("%q %v: %+v", tc.input, tc.args, r)
		}
	}
	r := runMain(t, "x\n", "password", "-c", cfg, "set", "--stdin", "nosuch")
	if !strings.Contains(r.stderr, "hint: the accounts are: work, other") {
		t.Errorf("unknown account: %s", r.stderr)
	}
	k.err = errors.New("org.freedesktop.DBus.Error.ServiceUnknown")
	r = runMain(t, "hunter2\n", "password", "-c", cfg, "set", "--stdin", "work")
	if r.code != 5 || !strings.Contains(r.stderr, "ServiceUnknown") || !strings.Contains(r.stderr, "hint: ") ||
		strings.Contains(r.stderr, "hunter2") {
		t.Errorf("keyring down: %+v", r)
	}
}
