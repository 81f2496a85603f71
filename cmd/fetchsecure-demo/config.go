package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
)

// owned are the names the demo creates in its directory. A new run removes exactly
// these, never anything else a user may keep there.
var owned = []string{"config.toml", "ca.pem", "id_ed25519", "id_ed25519.pub", "Maildir", "Maildir-ssh", "state"}

// The demo's users and where they are reached.
const (
	tlsUser, tlsPassword = "alex", "demo-pass-alex"
	sshUser, sshPassword = "ref", "demo-pass-ref"
	tunnelDest           = "localhost:143" // as seen from the SSH server, as in a real setup
)

// reset makes dir and removes what an earlier run left there.
func reset(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, name := range owned {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

// newClientKey writes a new ED25519 key pair for the SSH login to dir/id_ed25519[.pub].
func newClientKey(dir string) (ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "fetchsecure demo")
	if err != nil {
		return nil, err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "id_ed25519"), pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	return sshPub, os.WriteFile(filepath.Join(dir, "id_ed25519.pub"), ssh.MarshalAuthorizedKey(sshPub), 0o644)
}

// configText is the demo's config.toml. Relative paths are relative to the file's own
// directory, so the file works wherever the demo directory is.
func configText(imapAddr, sshAddr string, hostKey ssh.PublicKey, keep bool) string {
	imapHost, imapPort, _ := net.SplitHostPort(imapAddr)
	sshHost, sshPort, _ := net.SplitHostPort(sshAddr)
	destHost, destPort, _ := net.SplitHostPort(tunnelDest)
	return fmt.Sprintf(`# Written by fetchsecure-demo for servers that run inside the demo program.
state_dir = "state"

# IMAP over implicit TLS; the certificate is checked against the demo's own CA.
[account.direct]
protocol = "imap"
host = %q
port = %s
tls = "tls"
ca_file = "ca.pem"
user = %q
password = %q
folders = ["INBOX", %q]
maildir = "Maildir"
maildir_folders = true  # each server folder gets its own Maildir++ folder
keep = %t

# IMAP inside an SSH connection made by fetchsecure itself: no local port, no ssh program.
[tunnel.demo]
host = %q
port = %s
user = %q
identity_file = "id_ed25519"
host_key = %q  # pinned: any other key is refused

[account.tunneled]
protocol = "imap"
tunnel = "demo"
host = %q  # as seen from the SSH server
port = %s
tls = "none"  # allowed only because the stream runs inside the SSH tunnel
user = %q
password = %q
maildir = "Maildir-ssh"
keep = %t
`, imapHost, imapPort, tlsUser, tlsPassword, clubsFolder, keep,
		sshHost, sshPort, sshUser, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(hostKey))),
		destHost, destPort, sshUser, sshPassword, keep)
}

// writeConfig writes the config with mode 0600, as fetchsecure demands of a file that
// holds passwords.
func writeConfig(path, text string) error {
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		return err
	}
	return os.Chmod(path, 0o600) // WriteFile keeps the mode of an existing file
}
