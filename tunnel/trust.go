package tunnel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	skh "github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// errScanned ends a handshake once the host key is in hand.
var errScanned = errors.New("host key captured")

// ScanHostKey connects to the SSH server of o, through o.Jump with via when set, and
// returns the host key it offers, for `fetchsecure trust-host` to show and record. It
// stops at the key: nothing is authenticated and nothing is trusted. ED25519 is asked
// for first, as later handshakes will.
func ScanHostKey(ctx context.Context, o *SSHOptions, via *Dialer) (ssh.PublicKey, error) {
	var conn net.Conn
	var err error
	if o.Jump != "" {
		if via == nil {
			return nil, fail.Errorf(fail.Internal, "%s: a jump tunnel needs a dialer", o.hop())
		}
		conn, _, err = via.dialVia(ctx, o.Jump, o.addr())
	} else {
		conn, err = (&Dialer{}).transport(ctx, o, nil)
	}
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var key ssh.PublicKey
	cfg := &ssh.ClientConfig{
		Config:            algorithms(),
		User:              o.user(),
		HostKeyAlgorithms: preferredHostKeyAlgos(),
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error {
			key = k
			return errScanned
		},
	}
	client, err := handshake(ctx, conn, o, cfg)
	if client != nil {
		client.Close() // cannot happen: the callback always refuses
	}
	if key != nil {
		return key, nil
	}
	if err == nil || errors.Is(err, errScanned) {
		err = errors.New("no host key offered")
	}
	return nil, handshakeError(o, err, &hostKeyCheck{o: o}, &keyring{})
}

// AppendKnownHost records key for host and port in the known_hosts file, in the form
// ssh(1) writes ("[host]:port" for a port other than 22). The file is created with mode
// 0600 (and its directory 0700) if missing.
func AppendKnownHost(file, host string, port int, key ssh.PublicKey) error {
	if host == "" || strings.ContainsAny(host, " \t\r\n,#*?!@[]|") {
		return fail.Errorf(fail.Config, "known_hosts: cannot record host name %q", host)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return fmt.Errorf("known_hosts: %w", err)
	}
	f, err := os.OpenFile(file, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("known_hosts: %w", err)
	}
	line := skh.Line([]string{skh.Normalize(net.JoinHostPort(host, strconv.Itoa(port)))}, key) + "\n"
	if !endsWithNewline(f) {
		line = "\n" + line
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return fmt.Errorf("known_hosts %s: %w", file, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("fsync %s: %w", file, err)
	}
	return f.Close()
}

// endsWithNewline reports whether f is empty or ends with a newline.
func endsWithNewline(f *os.File) bool {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return true
	}
	var b [1]byte
	if _, err := f.ReadAt(b[:], st.Size()-1); err != nil && err != io.EOF {
		return true
	}
	return b[0] == '\n'
}
