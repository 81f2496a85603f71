package tunnel

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"

	skh "github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// hostKeyCheck verifies the key an SSH server offers. There is no way to turn it off.
type hostKeyCheck struct {
	o      *SSHOptions
	verify ssh.HostKeyCallback
	algos  []string // host key algorithms to offer, from what is known about the host
	files  []string // the known_hosts files that exist, for messages
	passed bool     // the check ran and accepted the key
	err    error    // the check ran and refused the key; explained
}

// preferredHostKeyAlgos is the order used when nothing is known about a host (first
// contact, trust-host): ed25519 first, so that the key a user trusts is the one later
// handshakes negotiate. Modern algorithms only.
func preferredHostKeyAlgos() []string {
	first := []string{ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521}
	return append(first, slices.DeleteFunc(ssh.SupportedAlgorithms().HostKeys,
		func(a string) bool { return slices.Contains(first, a) })...)
}

// modernHostKeyAlgos keeps the algorithms ssh considers secure (no ssh-rsa SHA-1).
func modernHostKeyAlgos(algos []string) []string {
	ok := ssh.SupportedAlgorithms().HostKeys
	return slices.DeleteFunc(algos, func(a string) bool { return !slices.Contains(ok, a) })
}

// newHostKeyCheck prepares the check for o: the inline host_key, or known_hosts.
//
// With known_hosts the algorithms offered are those of the keys known for the host.
// Without that, x/crypto prefers ECDSA over ED25519 (golang/go#49631): a server holding
// both keys, whose ED25519 key alone is in known_hosts, would fail with a false
// "key mismatch".
func newHostKeyCheck(o *SSHOptions) (*hostKeyCheck, error) {
	hk := &hostKeyCheck{o: o}
	if o.HostKey != "" {
		return hk, hk.pinned()
	}
	files := o.KnownHosts
	if len(files) == 0 {
		files = []string{home("~/.ssh/known_hosts")}
	}
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			hk.files = append(hk.files, f)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fail.Wrap(fail.Config, fmt.Errorf("%s: known_hosts: %w", o.hop(), err))
		}
	}
	hk.algos = preferredHostKeyAlgos()
	if len(hk.files) == 0 {
		hk.verify = func(string, net.Addr, ssh.PublicKey) error { return &knownhosts.KeyError{} }
		return hk, nil
	}
	db, err := skh.NewDB(hk.files...)
	if err != nil {
		return nil, fail.Wrap(fail.Config, fmt.Errorf("%s: known_hosts: %w", o.hop(), err))
	}
	hk.verify = db.HostKeyCallback()
	if known := modernHostKeyAlgos(db.HostKeyAlgorithms(o.addr())); len(known) > 0 {
		hk.algos = known
	}
	return hk, nil
}

// pinned sets up the check against the inline host_key.
func (hk *hostKeyCheck) pinned() error {
	want, _, _, _, err := ssh.ParseAuthorizedKey([]byte(hk.o.HostKey))
	if err != nil {
		return fail.Hint(fail.Config, fmt.Errorf("tunnel %s: host_key: %w", hk.o.Name, err),
			`write host_key = "ssh-ed25519 AAAA…" as in a known_hosts line, without the host name`)
	}
	hk.algos = modernHostKeyAlgos(algorithmsFor(want.Type()))
	hk.verify = func(_ string, _ net.Addr, got ssh.PublicKey) error {
		if bytes.Equal(got.Marshal(), want.Marshal()) {
			return nil
		}
		return &knownhosts.KeyError{Want: []knownhosts.KnownKey{{Key: want, Filename: "host_key"}}}
	}
	return nil
}

// algorithmsFor lists the signature algorithms of a key type (RFC 8332 §2 for RSA).
func algorithmsFor(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}
	}
	return []string{keyType}
}

// check is the ssh.HostKeyCallback. It records the verdict so that the caller can tell a
// refused host key from a failed authentication after the handshake.
func (hk *hostKeyCheck) check(host string, remote net.Addr, key ssh.PublicKey) error {
	err := hk.verify(host, remote, key)
	if err == nil {
		hk.passed = true
		return nil
	}
	hk.err = hk.explain(err, key)
	return hk.err
}

// explain turns a knownhosts verdict into a message with the fingerprints and what to do.
func (hk *hostKeyCheck) explain(err error, key ssh.PublicKey) error {
	o := hk.o
	offered := describeKey(key)
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case errors.As(err, &re):
		return fail.Errorf(fail.Security, "%s: the host key (%s) is marked @revoked in %s:%d",
			o.hop(), offered, re.Revoked.Filename, re.Revoked.Line)
	case errors.As(err, &ke) && len(ke.Want) == 0:
		where := "known_hosts files " + strings.Join(hk.files, ", ")
		if len(hk.files) == 0 {
			where = "any known_hosts file (none exists)"
		}
		return fail.Hint(fail.Security,
			fmt.Errorf("%s: the SSH server's host key (%s) is not in %s", o.hop(), offered, where),
			fmt.Sprintf("check that fingerprint with the server's administrator, then run: fetchsecure trust-host %s", o.Name))
	case errors.As(err, &ke):
		return fail.Hint(fail.Security,
			fmt.Errorf("%s: REMOTE HOST KEY CHANGED: possible man-in-the-middle attack! the server offered host key %s, but %s",
				o.hop(), offered, describeWant(ke.Want)),
			"if the server's key was changed on purpose, remove the old key, check the new fingerprint "+
				"with the server's administrator and run: fetchsecure trust-host "+o.Name)
	}
	return fail.Wrap(fail.Security, fmt.Errorf("%s: host key %s: %w", o.hop(), offered, err))
}

// describeKey prints a key's type and fingerprint as ssh(1) shows them: "ED25519 SHA256:…".
func describeKey(k ssh.PublicKey) string {
	t := strings.TrimPrefix(strings.TrimSuffix(k.Type(), "-cert-v01@openssh.com"), "ssh-")
	t = strings.ToUpper(strings.SplitN(t, "-", 2)[0])
	return t + " " + ssh.FingerprintSHA256(k)
}

func describeWant(want []knownhosts.KnownKey) string {
	var parts []string
	for _, w := range want {
		where := "host_key in the config"
		if w.Filename != "host_key" {
			where = fmt.Sprintf("%s:%d", w.Filename, w.Line)
		}
		parts = append(parts, fmt.Sprintf("%s has %s", where, describeKey(w.Key)))
	}
	return strings.Join(parts, "; ")
}
