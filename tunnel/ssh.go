package tunnel

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// DefaultKeepalive is used where SSHOptions.Keepalive is 0.
const DefaultKeepalive = 30 * time.Second

// SSHOptions is one [tunnel.NAME] table of the config.
type SSHOptions struct {
	Name              string
	Host              string
	Port              int      // 0 = 22
	User              string   // "" = the local user
	IdentityFiles     []string // "" = ssh-agent and ~/.ssh/id_ed25519, id_ecdsa, id_rsa
	PassphraseCommand []string // argv printing the passphrase of encrypted keys
	KnownHosts        []string // nil = ~/.ssh/known_hosts
	HostKey           string   // inline "ssh-ed25519 AAAA…", instead of KnownHosts
	Jump              string   // name of the tunnel to reach this one through
	Keepalive         time.Duration
	Timeout           time.Duration // for the TCP connect and the SSH handshake
}

func (o *SSHOptions) addr() string {
	port := o.Port
	if port == 0 {
		port = 22
	}
	return net.JoinHostPort(o.Host, strconv.Itoa(port))
}

func (o *SSHOptions) user() string {
	if o.User != "" {
		return o.User
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

func (o *SSHOptions) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultTimeout
}

func (o *SSHOptions) keepalive() time.Duration {
	if o.Keepalive > 0 {
		return o.Keepalive
	}
	return DefaultKeepalive
}

// hop names this SSH server in error messages: "tunnel home (me@ssh.example.com:22)".
func (o *SSHOptions) hop() string {
	return fmt.Sprintf("tunnel %s (%s@%s)", o.Name, o.user(), o.addr())
}

// home expands a leading "~/" (for the defaults; the config expands its own paths).
func home(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, rest)
		}
	}
	return p
}

// algorithms is the SSH algorithm policy: the library's list without SHA-1 (the MAC
// hmac-sha1; SHA-1 key exchanges and ssh-rsa signatures are already out of it).
func algorithms() ssh.Config {
	a := ssh.SupportedAlgorithms()
	return ssh.Config{
		KeyExchanges: a.KeyExchanges,
		Ciphers:      a.Ciphers,
		MACs:         slices.DeleteFunc(a.MACs, func(m string) bool { return strings.Contains(m, "sha1") }),
	}
}

// handshake runs the SSH handshake on conn for o. The library has no handshake timeout
// (ClientConfig.Timeout covers only its own TCP dial), and conn may be a channel of a
// jump host, which has no deadlines: a timer closes conn instead.
func handshake(ctx context.Context, conn net.Conn, o *SSHOptions, cfg *ssh.ClientConfig) (*ssh.Client, error) {
	var expired atomic.Bool
	timer := time.AfterFunc(o.timeout(), func() { expired.Store(true); conn.Close() })
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	cc, chans, reqs, err := ssh.NewClientConn(conn, o.addr(), cfg)
	timer.Stop()
	stop()
	if err != nil {
		conn.Close()
		switch {
		case expired.Load():
			return nil, fail.Errorf(fail.Temporary, "%s: SSH handshake timed out after %s", o.hop(), seconds(o.timeout()))
		case ctx.Err() != nil:
			return nil, netError(ctx, o.hop()+": SSH handshake", o.timeout(), ctx.Err())
		}
		return nil, err
	}
	return ssh.NewClient(cc, chans, reqs), nil
}

// handshakeError explains a failed handshake: the host key check, authentication, or
// the connection itself.
func handshakeError(o *SSHOptions, err error, hk *hostKeyCheck, keys *keyring) error {
	var fe *fail.Error
	var algo *ssh.AlgorithmNegotiationError
	switch {
	case hk.err != nil:
		return hk.err
	case errors.As(err, &fe):
		return err
	case errors.As(err, &algo):
		return fail.Hint(fail.Security, fmt.Errorf("%s: no SSH algorithm in common: %w", o.hop(), err),
			"the SSH server offers only outdated algorithms (SHA-1); upgrade it")
	case hk.passed && isAuthFailure(err):
		return keys.authError(o)
	}
	return fail.Wrap(fail.Temporary, fmt.Errorf("%s: SSH handshake: %w", o.hop(), err))
}

// isAuthFailure recognises the library's authentication failures, which have no type.
func isAuthFailure(err error) bool {
	s := err.Error()
	return strings.Contains(s, "unable to authenticate") || strings.Contains(s, "authentication failures") ||
		strings.Contains(s, "no supported methods remain")
}

// clientConfig assembles the client side of the handshake for o.
func clientConfig(o *SSHOptions, hk *hostKeyCheck, keys *keyring) *ssh.ClientConfig {
	return &ssh.ClientConfig{
		Config:            algorithms(),
		User:              o.user(),
		Auth:              []ssh.AuthMethod{ssh.PublicKeysCallback(keys.get)},
		HostKeyCallback:   hk.check,
		HostKeyAlgorithms: hk.algos,
		ClientVersion:     "SSH-2.0-fetchsecure",
	}
}
