package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/fetchsecure/fetchsecure/internal/certgen"
)

// demo is one run: the servers, the directory and what is expected in it.
type demo struct {
	bin, dir string
	out      io.Writer
	mail     *mailServer
	ssh      *sshServer
	probe    probe
}

func (d *demo) path(name string) string { return filepath.Join(d.dir, name) }

// run starts the servers and runs every step; the first failure ends it.
func (d *demo) run() error {
	fmt.Fprintln(d.out, "fetchsecure demo: the real fetchsecure binary against servers inside this program.")
	steps := []func() error{d.start, d.writeConfig, d.check, d.firstFetch, d.secondFetch,
		d.deleteFetch, d.verify, d.tunnelReport}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func (d *demo) close() {
	if d.ssh != nil {
		d.ssh.Close()
	}
	if d.mail != nil {
		d.mail.Close()
	}
}

func (d *demo) section(title string) { fmt.Fprintf(d.out, "\n== %s\n", title) }

// start makes the CA, the server certificate and the SSH client key, and starts the
// IMAP and SSH servers with the sample mail.
func (d *demo) start() error {
	if err := reset(d.dir); err != nil {
		return fmt.Errorf("prepare %s: %w", d.dir, err)
	}
	ca, err := certgen.NewCA("fetchsecure demo CA")
	if err != nil {
		return err
	}
	cert, err := ca.Issue(certgen.Options{})
	if err != nil {
		return err
	}
	if err := os.WriteFile(d.path("ca.pem"), ca.PEM, 0o644); err != nil {
		return err
	}
	d.mail, err = startMail(cert.TLSCertificate(), map[string]string{tlsUser: tlsPassword, sshUser: sshPassword})
	if err != nil {
		return err
	}
	if err := d.addSampleMail(); err != nil {
		return err
	}
	key, err := newClientKey(d.dir)
	if err != nil {
		return fmt.Errorf("SSH client key: %w", err)
	}
	d.ssh, err = startSSH(sshUser, key, tunnelDest, d.mail.pipes.dial, d.probe.look)
	if err != nil {
		return err
	}
	d.describeServers()
	return nil
}

func (d *demo) addSampleMail() error {
	for _, err := range []error{
		d.mail.add(tlsUser, inbox, inboxMail()...),
		d.mail.add(tlsUser, clubsFolder, clubsMail()...),
		d.mail.add(sshUser, inbox, inboxMail()...),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *demo) describeServers() {
	d.section("Servers, inside this program, on 127.0.0.1 only")
	fmt.Fprintf(d.out, "IMAP over TLS  %s  certificate for 127.0.0.1 from a CA made just now (%s)\n",
		d.mail.tlsAddr, d.path("ca.pem"))
	fmt.Fprintf(d.out, "               user %s: INBOX with %d messages, %q with %d\n",
		tlsUser, len(inboxMail()), clubsFolder, len(clubsMail()))
	fmt.Fprintf(d.out, "SSH            %s  host key %s %s\n", d.ssh.addr, d.ssh.hostKey.Type(), ssh.FingerprintSHA256(d.ssh.hostKey))
	fmt.Fprintf(d.out, "               lets in user %s with the key %s only, and forwards only to %s:\n",
		sshUser, d.path("id_ed25519"), tunnelDest)
	fmt.Fprintf(d.out, "               plaintext IMAP that no TCP port leads to; user %s: INBOX with %d messages\n",
		sshUser, len(inboxMail()))
	fmt.Fprintln(d.out, "Sample mail: everyday messages, and the cases that break fetchers: a 100 KB line,")
	fmt.Fprintln(d.out, "lines of dots, a Latin-1 header, NUL bytes, no final newline, a 1 MB attachment.")
}

// writeConfig writes config.toml for the servers and shows it.
func (d *demo) writeConfig() error {
	text := configText(d.mail.tlsAddr, d.ssh.addr, d.ssh.hostKey, true)
	if err := writeConfig(d.path("config.toml"), text); err != nil {
		return fmt.Errorf("write the config: %w", err)
	}
	d.section(d.path("config.toml") + " (mode 0600: it holds passwords)")
	fmt.Fprint(d.out, indent(text))
	return nil
}

func (d *demo) check() error {
	d.section("Check the configuration")
	return d.fetchsecure("check", "-c", d.path("config.toml"))
}

func (d *demo) firstFetch() error {
	d.section("First fetch: everything is new (-v shows the protocol steps)")
	if err := d.fetchsecure("--once", "-v", "-c", d.path("config.toml")); err != nil {
		return err
	}
	n := len(inboxMail())
	return d.expectFiles(n+len(clubsMail()), n)
}

func (d *demo) secondFetch() error {
	d.section("Second fetch: nothing new, nothing delivered twice")
	// -v: without a terminal, fetchsecure reports folders with nothing new only when
	// asked, so that cron mails nobody for an empty run.
	if err := d.fetchsecure("--once", "-v", "-c", d.path("config.toml")); err != nil {
		return err
	}
	n := len(inboxMail())
	return d.expectFiles(n+len(clubsMail()), n)
}

// deleteFetch lets new mail arrive and fetches with keep = false: the new message is
// deleted on the server once delivered; what was fetched while keep was true stays,
// as with fetchmail.
func (d *demo) deleteFetch() error {
	d.section("New mail arrives; fetch with keep = false (delete on the server once delivered)")
	if err := d.mail.add(tlsUser, inbox, newMail()); err != nil {
		return err
	}
	if err := d.mail.add(sshUser, inbox, newMail()); err != nil {
		return err
	}
	text := configText(d.mail.tlsAddr, d.ssh.addr, d.ssh.hostKey, false)
	if err := writeConfig(d.path("config.toml"), text); err != nil {
		return fmt.Errorf("write the config: %w", err)
	}
	fmt.Fprintf(d.out, "(both accounts now say keep = false in %s)\n", d.path("config.toml"))
	if err := d.fetchsecure("--once", "-c", d.path("config.toml")); err != nil {
		return err
	}
	n := len(inboxMail()) + 1
	if err := d.expectFiles(n+len(clubsMail()), n); err != nil {
		return err
	}
	return d.expectServer()
}

// expectServer checks the server's INBOXes after the delete run: the new message is
// gone, the others are there and still unseen (fetchsecure reads with BODY.PEEK[]).
func (d *demo) expectServer() error {
	for _, user := range []string{tlsUser, sshUser} {
		total, unseen, err := d.mail.count(user, inbox)
		if err != nil {
			return err
		}
		want := uint32(len(inboxMail()))
		fmt.Fprintf(d.out, "server: %s's INBOX holds %d messages, %d unseen\n", user, total, unseen)
		if total != want || unseen != want {
			return fmt.Errorf("%s's INBOX holds %d messages, %d unseen; want %d, all unseen", user, total, unseen, want)
		}
	}
	fmt.Fprintln(d.out, "The new message was deleted after its delivery was on disk; the older ones stay,")
	fmt.Fprintln(d.out, "since they were fetched while keep was true. None was marked \\Seen.")
	return nil
}

// expectFiles checks how many messages each maildir holds.
func (d *demo) expectFiles(direct, tunneled int) error {
	for _, m := range []struct {
		dir  string
		want int
	}{{"Maildir", direct}, {"Maildir-ssh", tunneled}} {
		files, err := messageFiles(d.path(m.dir))
		if err != nil {
			return err
		}
		if len(files) != m.want {
			return fmt.Errorf("%s holds %d messages, want %d", d.path(m.dir), len(files), m.want)
		}
	}
	fmt.Fprintf(d.out, "-> %s: %d messages, %s: %d messages\n", d.path("Maildir"), direct, d.path("Maildir-ssh"), tunneled)
	return nil
}

// indent indents every non-empty line of text by four spaces.
func indent(text string) string {
	var b strings.Builder
	for line := range strings.Lines(text) {
		if strings.TrimSpace(line) != "" {
			b.WriteString("    ")
		}
		b.WriteString(strings.TrimRight(line, "\n") + "\n")
	}
	return b.String()
}
