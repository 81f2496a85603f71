package tunnel

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// defaultKeyFiles are tried when a tunnel names no identity_file, as ssh(1) does.
var defaultKeyFiles = []string{"~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa"}

// keyring holds the keys offered to one SSH server, in the order they are offered, and
// what is known about the keys that could not be offered.
type keyring struct {
	signers []ssh.Signer
	names   []string // one per signer: "ED25519 SHA256:… from ~/.ssh/id_ed25519"
	notes   []string // keys left out and why
	agent   net.Conn // closed after the handshake
}

// get is the ssh.PublicKeysCallback. Agent keys and key files go into this one callback
// because x/crypto uses only the first AuthMethod of each kind.
func (k *keyring) get() ([]ssh.Signer, error) { return k.signers, nil }

func (k *keyring) close() {
	if k.agent != nil {
		k.agent.Close()
	}
}

func (k *keyring) add(s ssh.Signer, from string) {
	if holding(k.signers, s.PublicKey()) != nil {
		return
	}
	k.signers = append(k.signers, sha2Only(s))
	k.names = append(k.names, describeKey(s.PublicKey())+" from "+from)
}

// holding returns the signer for pub among signers, or nil.
func holding(signers []ssh.Signer, pub ssh.PublicKey) ssh.Signer {
	for _, s := range signers {
		if pub != nil && bytes.Equal(s.PublicKey().Marshal(), pub.Marshal()) {
			return s
		}
	}
	return nil
}

// sha2Only keeps RSA keys from signing with SHA-1 (ssh-rsa), which x/crypto falls back
// to when a server does not announce server-sig-algs.
func sha2Only(s ssh.Signer) ssh.Signer {
	as, ok := s.(ssh.AlgorithmSigner)
	if !ok || s.PublicKey().Type() != ssh.KeyAlgoRSA {
		return s
	}
	ms, err := ssh.NewSignerWithAlgorithms(as, []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256})
	if err != nil {
		return s
	}
	return ms
}

// loadKeys gathers the keys for o before any connection is made, so that a passphrase
// prompt never races the handshake timeout. The order follows ssh(1), because servers
// cut a client off after a few keys (MaxAuthTries): with identity_file set, those keys
// come first, then the agent's others; without it, the agent's keys come first, then
// the default files. An encrypted file whose key the agent holds is not decrypted.
func (d *Dialer) loadKeys(ctx context.Context, o *SSHOptions) (*keyring, error) {
	k := &keyring{}
	agentKeys := k.loadAgent()
	files, explicit := o.IdentityFiles, true
	if len(files) == 0 {
		files, explicit = defaultKeyFiles, false
		k.addAll(agentKeys)
	}
	var pass *passphrase
	for _, f := range files {
		err := d.loadKeyFile(ctx, k, o, home(f), agentKeys, &pass)
		switch {
		case err == nil:
		case !explicit && errors.Is(err, os.ErrNotExist):
		case !explicit && errors.Is(err, errNoPassphrase):
			k.notes = append(k.notes, fmt.Sprintf("%s is passphrase-protected and there is no passphrase_command", f))
		case !explicit && fail.KindOf(err) != fail.Auth:
			k.notes = append(k.notes, fmt.Sprintf("%s left out: %v", f, err))
		default:
			k.close()
			return nil, err
		}
	}
	k.addAll(agentKeys)
	return k, nil
}

func (k *keyring) addAll(agentKeys []ssh.Signer) {
	for _, s := range agentKeys {
		k.add(s, "ssh-agent")
	}
}

// loadAgent returns the keys of the ssh-agent at SSH_AUTH_SOCK, if there is one.
func (k *keyring) loadAgent() []ssh.Signer {
	sock := os.Getenv("SSH_AUTH_SOCK")
	if sock == "" {
		k.notes = append(k.notes, "no ssh-agent: SSH_AUTH_SOCK is not set")
		return nil
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		k.notes = append(k.notes, fmt.Sprintf("ssh-agent unreachable: %v", err))
		return nil
	}
	signers, err := agent.NewClient(conn).Signers()
	if err != nil {
		conn.Close()
		k.notes = append(k.notes, fmt.Sprintf("ssh-agent: %v", err))
		return nil
	}
	k.agent = conn
	if len(signers) == 0 {
		k.notes = append(k.notes, "ssh-agent holds no keys")
	}
	return signers
}

var errNoPassphrase = errors.New("key is passphrase-protected; set passphrase_command")

// loadKeyFile adds the key in path, decrypting it if it must.
func (d *Dialer) loadKeyFile(ctx context.Context, k *keyring, o *SSHOptions, path string, agentKeys []ssh.Signer, pass **passphrase) error {
	pem, err := readKeyFile(path)
	if fail.KindOf(err) == fail.Insecure {
		return err
	}
	if err != nil {
		return fail.Wrap(fail.Config, fmt.Errorf("%s: identity_file: %w", o.hop(), err))
	}
	s, err := ssh.ParsePrivateKey(pem)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		if a := holding(agentKeys, missing.PublicKey); a != nil {
			k.add(a, "ssh-agent ("+path+")")
			return nil
		}
		s, err = d.decrypt(ctx, o, path, pem, pass)
	}
	if err != nil {
		return err
	}
	k.add(s, path)
	return nil
}

// decrypt opens an encrypted key with the passphrase from passphrase_command or the
// prompt. The passphrase never appears in an error.
func (d *Dialer) decrypt(ctx context.Context, o *SSHOptions, path string, pem []byte, pass **passphrase) (ssh.Signer, error) {
	if *pass == nil {
		*pass = &passphrase{o: o, prompt: d.Prompt}
	}
	secret, source, err := (*pass).get(ctx, path)
	if err != nil {
		return nil, err
	}
	s, err := ssh.ParsePrivateKeyWithPassphrase(pem, secret)
	clear(secret)
	if errors.Is(err, x509.IncorrectPasswordError) {
		return nil, fail.Errorf(fail.Auth, "%s: identity_file %s: wrong passphrase (from %s)", o.hop(), path, source)
	}
	if err != nil {
		return nil, fail.Wrap(fail.Config, fmt.Errorf("%s: identity_file %s: %w", o.hop(), path, err))
	}
	return s, nil
}

// authError says which keys were offered to whom, and what was left out.
func (k *keyring) authError(o *SSHOptions) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: SSH authentication as %s failed", o.hop(), o.user())
	if len(k.names) == 0 {
		b.WriteString("; no key to offer")
	} else {
		b.WriteString("; offered " + strings.Join(k.names, ", "))
	}
	if len(k.notes) > 0 {
		b.WriteString(" (" + strings.Join(k.notes, "; ") + ")")
	}
	return fail.Hint(fail.Auth, errors.New(b.String()),
		"add one of these public keys to ~/.ssh/authorized_keys of "+o.user()+" on "+o.Host+", or set identity_file")
}
