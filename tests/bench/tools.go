package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// kind says how a tool's runs are checked and compared.
type kind int

const (
	fetchsecure kind = iota // strict: StripTrace, then byte-exact
	anchor                  // lenient: its own trace headers removed, line endings aside
	floor                   // delivers nothing: the message count and bytes are checked
)

// tool is one thing the harness measures: a command fetching box, and where it
// delivers.
type tool struct {
	name      string
	proto     string // "IMAP" or "POP3"
	transport string // "TLS" or "SSH"
	kind      kind
	deletes   bool // empties the server: the box is refilled after each run
	box       *box
	version   string
	// command prepares a run in dir (configs, state) and returns what to execute;
	// maildir is where that run delivers ("" for the floor).
	command func(dir string) (cmd *exec.Cmd, maildir string, err error)
}

// box is a Dovecot user's INBOX and what a correct client delivers from it.
type box struct {
	user           string
	n              int
	stored, served int64 // bytes as stored, and as an IMAP literal
	imap, pop3     map[digest]int
	c              *corpus // the corpus it was filled from, to explain a corrupt copy
}

func (b *box) want(proto string) map[digest]int {
	src := b.imap
	if proto == "POP3" {
		src = b.pop3
	}
	want := make(map[digest]int, len(src))
	for d, n := range src {
		want[d] = n
	}
	return want
}

// account is one [account.NAME] table of a fetchsecure config.
type account struct {
	name, user, proto, transport string
	keep                         bool
	maildir                      string
}

// fetchsecureTool measures `fetchsecure --once` on one account with a fresh state.
func (b *bench) fetchsecureTool(name, proto, transport string, keep bool, bx *box) *tool {
	return &tool{name: name, proto: proto, transport: transport, kind: fetchsecure, deletes: !keep, box: bx,
		version: version(b.bin, "version"),
		command: func(dir string) (*exec.Cmd, string, error) {
			md := filepath.Join(dir, "Maildir")
			cfg, err := b.fetchsecureConfig(dir, "", account{name: "bench", user: bx.user, proto: proto,
				transport: transport, keep: keep, maildir: md})
			return b.fetchsecureCmd(cfg), md, err
		}}
}

func (b *bench) fetchsecureCmd(config string) *exec.Cmd {
	return exec.Command(b.bin, "--once", "-q", "-c", config)
}

// fetchsecureConfig writes dir/config.toml with a state in dir/state; top holds
// more top-level settings.
func (b *bench) fetchsecureConfig(dir, top string, accounts ...account) (string, error) {
	var s strings.Builder
	fmt.Fprintf(&s, "state_dir = %q\n%s", filepath.Join(dir, "state"), top)
	for _, a := range accounts {
		fmt.Fprintf(&s, "\n[account.%s]\nprotocol = %q\nuser = %q\npassword = %q\nmaildir = %q\nkeep = %v\n",
			a.name, strings.ToLower(a.proto), a.user, password, a.maildir, a.keep)
		s.WriteString(b.endpoint(a))
	}
	if b.usesTunnel(accounts) {
		fmt.Fprintf(&s, "\n[tunnel.bench]\nhost = %q\nport = %d\nuser = %q\nidentity_file = %q\nknown_hosts = %q\n",
			b.srv.sshd.Host, b.srv.sshd.Port, b.srv.sshd.User, b.srv.key.Path, b.srv.knownHosts)
	}
	path := filepath.Join(dir, "config.toml")
	return path, writeFile(path, s.String())
}

// endpoint: implicit TLS to Dovecot, or plaintext inside the SSH tunnel (as a
// fetchmailrc ssh plugin would), Dovecot being on the SSH server's loopback.
func (b *bench) endpoint(a account) string {
	dc := b.srv.dc
	if a.transport == "SSH" {
		port := dc.IMAP
		if a.proto == "POP3" {
			port = dc.POP3
		}
		return fmt.Sprintf("host = \"127.0.0.1\"\nport = %d\ntls = \"none\"\ntunnel = \"bench\"\n", port)
	}
	port := dc.IMAPS
	if a.proto == "POP3" {
		port = dc.POP3S
	}
	return fmt.Sprintf("host = \"127.0.0.1\"\nport = %d\ntls = \"tls\"\nca_file = %q\n", port, dc.CA.File)
}

func (b *bench) usesTunnel(accounts []account) bool {
	for _, a := range accounts {
		if a.transport == "SSH" {
			return true
		}
	}
	return false
}

// floorTool runs the floor client against box; durable makes the IMAP floor keep
// every message in a maildir with fetchsecure's group commit (see floor/durable.go).
func (b *bench) floorTool(proto string, bx *box, durable bool) *tool {
	what := floorWhat[proto]
	if durable {
		what = floorDurable
	}
	if bx.n != b.main.n {
		what += fmt.Sprintf(", N=%d", bx.n)
	}
	return &tool{name: "floor: Go, " + what, proto: proto, transport: "TLS", kind: floor, box: bx,
		command: func(dir string) (*exec.Cmd, string, error) {
			port := b.srv.dc.IMAPS
			if proto == "POP3" {
				port = b.srv.dc.POP3S
			}
			cmd := exec.Command(b.floor, "-proto", strings.ToLower(proto),
				"-addr", fmt.Sprintf("127.0.0.1:%d", port), "-ca", b.srv.dc.CA.File, "-user", bx.user)
			cmd.Env = append(cmd.Environ(), "BENCH_FLOOR_PASSWORD="+password)
			if !durable {
				return cmd, "", nil
			}
			md := filepath.Join(dir, "Maildir")
			cmd.Args = append(cmd.Args, "-maildir", md)
			return cmd, md, nil
		}}
}

var floorWhat = map[string]string{
	"IMAP": "one UID FETCH 1:* BODY.PEEK[] to io.Discard",
	"POP3": "pipelined RETR 1..N to io.Discard",
}

const floorDurable = "same UID FETCH, kept in a maildir with group commit"
