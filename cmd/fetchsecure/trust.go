package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/run"
	"github.com/fetchsecure/fetchsecure/tunnel"
)

// trustHostCommand is `fetchsecure trust-host NAME`: connect to tunnel NAME's SSH
// server, show its host key, and append it to known_hosts after confirmation. This is
// the one way to trust a new host: the fetch itself never does (no trust on first use).
func trustHostCommand(args []string, stdout, stderr io.Writer) int {
	var g globals
	var yes bool
	rest, code, ok := parse("trust-host", args, stderr, &g, false, func(fs *flag.FlagSet) {
		fs.BoolVar(&yes, "yes", false, "do not ask for confirmation")
	})
	if !ok {
		return code
	}
	if len(rest) != 1 {
		return report(stderr, "", fail.Errorf(fail.Usage, "usage: fetchsecure trust-host [--yes] TUNNEL"))
	}
	cfg, err := config.Load(g.config)
	if err != nil {
		return report(stderr, "", err)
	}
	t := cfg.Tunnels[rest[0]]
	if t == nil {
		return report(stderr, "", fail.Errorf(fail.Usage, "no [tunnel.%s] in %s", rest[0], cfg.File))
	}
	if err := trustHost(cfg, t, yes, stdout); err != nil {
		return report(stderr, "", err)
	}
	return 0
}

func trustHost(cfg *config.Config, t *config.Tunnel, yes bool, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := run.NewDialer(cfg, nil)
	defer d.Close()
	key, err := tunnel.ScanHostKey(ctx, d.Tunnels[t.Name], d)
	if err != nil {
		return err
	}
	if len(t.KnownHosts) == 0 {
		return fail.Errorf(fail.Config, "tunnel %s has no known_hosts file to write to", t.Name)
	}
	file := t.KnownHosts[0]
	fmt.Fprintf(stdout, "%s:%d offers the host key\n  %s %s\n", t.Host, t.Port, key.Type(), ssh.FingerprintSHA256(key))
	fmt.Fprintf(stdout, "Compare it with the fingerprint the server's administrator gives you\n(on the server: ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub).\n", keyFileType(key))
	if !yes && !confirm(stdout, fmt.Sprintf("Add it to %s? [y/N] ", file)) {
		return fail.Errorf(fail.Usage, "not added")
	}
	if err := tunnel.AppendKnownHost(file, t.Host, t.Port, key); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Added to %s.\n", filepath.Clean(file))
	return nil
}

func keyFileType(k ssh.PublicKey) string {
	switch {
	case strings.Contains(k.Type(), "ed25519"):
		return "ed25519"
	case strings.Contains(k.Type(), "ecdsa"):
		return "ecdsa"
	}
	return "rsa"
}

func confirm(w io.Writer, q string) bool {
	fmt.Fprint(w, q)
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(line)), "y")
}
