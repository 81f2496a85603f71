package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/safeio"
	"github.com/fetchsecure/fetchsecure/internal/secret"
	"github.com/fetchsecure/fetchsecure/internal/state"
)

// KeyringService is the keyring service of the OAuth2 tokens (key: the account's
// name); passwords have their own, secret.KeyringService.
const KeyringService = "fetchsecure-oauth2"

// record is what is stored for an account: the refresh token, the last access token
// and whom they were issued to, so that a changed client ID or endpoint asks for a new
// login instead of failing with invalid_grant.
type record struct {
	RefreshToken string    `json:"refresh_token"`
	AccessToken  string    `json:"access_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"` // wall clock, UTC
	ClientID     string    `json:"client_id"`
	TokenURL     string    `json:"token_url"`
}

// Store keeps an account's record. Load returns an error matching
// secret.ErrNotStored when there is none.
type Store interface {
	Load(ctx context.Context) (*record, error)
	Save(ctx context.Context, r *record) error
	Delete(ctx context.Context) (bool, error)
	String() string // where, for messages
}

// NewStore returns the store the account's oauth_token_store names.
func NewStore(account string, o *config.OAuth) Store {
	if o.Store == config.TokenKeyring {
		return keyringStore{account: account}
	}
	name := filepath.Base(state.AccountDir("", account)) + ".json"
	return fileStore{path: filepath.Join(o.TokenDir, name)}
}

// maxRecord bounds what is read back: tokens are a few kilobytes at most.
const maxRecord = 64 << 10

func decode(b []byte, where string) (*record, error) {
	var r record
	if err := json.Unmarshal(b, &r); err != nil || r.RefreshToken == "" {
		return nil, fail.Hint(fail.Config, fmt.Errorf("%s does not hold a refresh token", where),
			"log in again with `fetchsecure oauth login`")
	}
	return &r, nil
}

// fileStore keeps the record in a file that only its owner can read, written
// atomically (a refresh token that rotates must not be lost half-written).
type fileStore struct{ path string }

func (s fileStore) String() string { return s.path }

func (s fileStore) Load(context.Context) (*record, error) {
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist: %w", s.path, secret.ErrNotStored)
	}
	if err != nil {
		return nil, fail.Wrap(fail.Config, fmt.Errorf("token file: %w", err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fail.Wrap(fail.Config, fmt.Errorf("token file: %w", err))
	}
	if secret.Exposed(fi.Mode()) {
		return nil, fail.Hint(fail.Insecure, fmt.Errorf("token file %s has mode %04o: group or others can read it",
			s.path, fi.Mode().Perm()), "run chmod 600 "+s.path+", and log in again: the token may have been copied")
	}
	b, err := io.ReadAll(io.LimitReader(f, maxRecord))
	defer clear(b)
	if err != nil {
		return nil, fail.Wrap(fail.Config, fmt.Errorf("read token file: %w", err))
	}
	return decode(b, s.path)
}

func (s fileStore) Save(_ context.Context, r *record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	defer clear(b)
	if err := safeio.MkdirAll0700(filepath.Dir(s.path)); err != nil {
		return fail.Wrap(fail.Config, fmt.Errorf("create token directory: %w", err))
	}
	if err := safeio.WriteFile(s.path, b, 0o600); err != nil {
		return fail.Wrap(fail.Config, fmt.Errorf("write token file: %w", err))
	}
	return nil
}

func (s fileStore) Delete(context.Context) (bool, error) {
	err := os.Remove(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fail.Wrap(fail.Config, fmt.Errorf("remove token file: %w", err))
	}
	return true, safeio.SyncDir(filepath.Dir(s.path))
}

// keyringStore keeps the record in the OS keyring.
type keyringStore struct{ account string }

func (s keyringStore) String() string {
	return fmt.Sprintf("the keyring (service %q, key %q)", KeyringService, s.account)
}

func (s keyringStore) Load(ctx context.Context) (*record, error) {
	v, err := secret.KeyringGet(ctx, KeyringService, s.account)
	if err != nil {
		return nil, err
	}
	return decode([]byte(v.Reveal()), s.String())
}

func (s keyringStore) Save(ctx context.Context, r *record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return secret.KeyringSet(ctx, KeyringService, s.account, secret.Secret(b))
}

func (s keyringStore) Delete(ctx context.Context) (bool, error) {
	return secret.KeyringDelete(ctx, KeyringService, s.account)
}
