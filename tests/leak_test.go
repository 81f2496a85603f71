package tests

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/oauth/oauthtest"
	"github.com/fetchsecure/fetchsecure/internal/testlib"
	"github.com/fetchsecure/fetchsecure/internal/testlib/fakepop3"
)

// TestSecretsNeverLeak runs the binary the ways users do, verbose and not, in text and
// JSON, succeeding and failing, with every kind of credential: a password from a
// file, one from a command, OAuth2 tokens (refreshed), an OAuth2 client secret, an
// SSH key passphrase. It then searches everything those runs left for the secrets:
// stdout, stderr, every file under the state directory (spool, journal, lock), the
// delivered mail, and what the MDA saw of its environment and of every process's
// command line while it ran. Only the OAuth2 token file may hold tokens: it is the
// store, and it must be 0600.
func TestSecretsNeverLeak(t *testing.T) {
	s := newLeakRig(t)
	s.run(0, "oauth", "login", "lab", "--device", "-v")
	s.run(0, "--once", "-v")
	s.run(0, "check", "-v")
	s.expireToken()
	s.run(0, "--once", "-v", "--log-format", "json") // refreshes the access token
	if s.idp.Requests("refresh_token") != 1 || len(readDir(t, s.dump)) == 0 {
		t.Fatalf("refreshes %d; MDA dumps %v", s.idp.Requests("refresh_token"), readDir(t, s.dump))
	}

	// Now everything fails: wrong passwords, revoked tokens.
	writeFile(t, s.pwFile, s.wrong+"\n", 0o600)
	writeFile(t, s.popScript, "#!/bin/sh\necho '"+s.wrong+"'\n", 0o700)
	s.idp.Revoke()
	s.run(5, "--once", "-v")
	s.run(5, "--once", "-v", "--log-format", "json")
	s.run(5, "--once")

	s.assertClean()
}

type leakRig struct {
	*world
	t                           *testing.T
	idp                         *oauthtest.Server
	in, dump, state             string
	pwFile, popScript, wrong    string
	secrets                     []string
	outputs                     []string
	pwSecret, popSecret, phrase string
}

func randomSecret(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func newLeakRig(t *testing.T) *leakRig {
	s := &leakRig{world: newWorld(t), t: t, pwSecret: randomSecret("pw-"), popSecret: randomSecret("pop-"),
		phrase: randomSecret("phrase-"), wrong: randomSecret("wrong-")}
	s.in, s.dump, s.state = filepath.Join(s.dir, "inputs"), filepath.Join(s.dir, "mda-saw"), filepath.Join(s.dir, "state")
	for _, d := range []string{s.in, s.dump} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	clientSecret := randomSecret("client-")
	s.secrets = []string{s.pwSecret, s.popSecret, s.phrase, s.wrong, clientSecret}
	s.idp = oauthtest.Start(t, oauthtest.Options{ClientSecret: clientSecret, Rotate: true})
	s.writeConfig(s.dovecotAccount(), s.popAccount(), s.oauthAccount(clientSecret))
	return s
}

// dovecotAccount: IMAP without TLS through an SSH tunnel whose key has a passphrase,
// the password from a file, delivery to an MDA that records what it can see.
func (s *leakRig) dovecotAccount() string {
	s.dc.AddUser(s.t, "sam", s.pwSecret)
	s.dc.Append(s.t, "sam", "INBOX", []byte("Subject: tunnel\r\n\r\nthrough ssh\r\n"))
	sshd := testlib.StartSSHD(s.t, testlib.SSHDOptions{})
	key := testlib.NewSSHKey(s.t, s.in, "ed25519", s.phrase)
	sshd.AuthorizeKey(key.Public)
	known, phrase := filepath.Join(s.in, "known_hosts"), filepath.Join(s.in, "phrase")
	writeFile(s.t, known, sshd.KnownHostsLine(), 0o600)
	writeFile(s.t, phrase, s.phrase+"\n", 0o600)
	s.pwFile = filepath.Join(s.in, "pw")
	writeFile(s.t, s.pwFile, s.pwSecret+"\n", 0o600)
	script := fmt.Sprintf(`env > %[1]s/env.$$; ps -eww -o args > %[1]s/ps.$$; cat > %[1]s/msg.$$`, s.dump)
	return fmt.Sprintf(`[tunnel.bastion]
host = %q
port = %d
user = %q
identity_file = %q
passphrase_command = ["cat", %q]
known_hosts = %q

[account.tunnelled]
protocol = "imap"
host = "127.0.0.1"
port = %d
tls = "none"
tunnel = "bastion"
user = "sam"
password_file = %q
mda = ["sh", "-c", %q]
`, sshd.Host, sshd.Port, sshd.User, key.Path, phrase, known, s.dc.IMAP, s.pwFile, script)
}

// popAccount: POP3 over TLS, AUTH PLAIN with the password from a command.
func (s *leakRig) popAccount() string {
	cert := s.dc.CA.Issue(s.t)
	pop := fakepop3.Start(s.t, fakepop3.Config{TLS: cert.TLSConfig(), SASLPlain: true, User: "pat", Password: s.popSecret,
		Messages: [][]byte{[]byte("Subject: pop\r\n\r\nbody\r\n")}})
	s.popScript = filepath.Join(s.in, "pop-password")
	writeFile(s.t, s.popScript, "#!/bin/sh\necho '"+s.popSecret+"'\n", 0o700)
	host, port, _ := strings.Cut(pop.Addr(), ":")
	return fmt.Sprintf(`[account.pop]
protocol = "pop3"
host = %q
port = %s
ca_file = %q
user = "pat"
password_command = [%q]
maildir = %q
`, host, port, s.dc.CA.File, s.popScript, filepath.Join(s.dir, "PopMail"))
}

// oauthAccount: IMAP with OAUTHBEARER, tokens from the built-in client.
func (s *leakRig) oauthAccount(clientSecret string) string {
	imapd := oauthtest.StartIMAP(s.t, oauthUser, s.idp.Valid, s.dc.CA.Issue(s.t).TLSConfig(), "OAUTHBEARER")
	imapd.Append(s.t, []byte("Subject: oauth\r\n\r\nbody\r\n"))
	secretFile := filepath.Join(s.in, "client-secret")
	writeFile(s.t, secretFile, clientSecret+"\n", 0o600)
	host, port, _ := strings.Cut(imapd.Addr, ":")
	return fmt.Sprintf(`[account.lab]
protocol = "imap"
host = %q
port = %s
ca_file = %q
user = %q
auth = "oauth2"
oauth_provider = "custom"
oauth_client_id = %q
oauth_client_secret_command = ["cat", %q]
oauth_device_url = %q
oauth_token_url = %q
maildir = %q
`, host, port, s.dc.CA.File, oauthUser, s.idp.ClientID(), secretFile, s.idp.DeviceURL, s.idp.TokenURL,
		filepath.Join(s.dir, "OAuthMail"))
}

func (s *leakRig) run(code int, args ...string) {
	s.t.Helper()
	r := testlib.Run(s.t, s.bin, append(args, "-c", s.config)...)
	s.outputs = append(s.outputs, fmt.Sprintf("fetchsecure %v: stdout", args), string(r.Stdout),
		fmt.Sprintf("fetchsecure %v: stderr", args), string(r.Stderr))
	if r.Code != code {
		s.t.Fatalf("fetchsecure %v: exit %d, want %d\n%s%s", args, r.Code, code, r.Stdout, r.Stderr)
	}
}

func (s *leakRig) tokenFile() string { return filepath.Join(s.state, "oauth2", "lab.json") }

// expireToken sets the stored access token's expiry to the past.
func (s *leakRig) expireToken() {
	b, err := os.ReadFile(s.tokenFile())
	if err != nil {
		s.t.Fatal(err)
	}
	i := strings.Index(string(b), `"expiry":"`)
	b = []byte(string(b[:i]) + `"expiry":"2001-01-01T00:00:00Z"` + string(b[strings.Index(string(b[i+10:]), `"`)+i+11:]))
	writeFile(s.t, s.tokenFile(), string(b), 0o600)
}

// assertClean searches the outputs and every file the runs wrote.
func (s *leakRig) assertClean() {
	secrets := append(s.secrets, s.idp.Issued()...)
	for i := 0; i < len(s.outputs); i += 2 {
		check(s.t, s.outputs[i], s.outputs[i+1], secrets)
	}
	fi, err := os.Stat(s.tokenFile())
	if err != nil || fi.Mode().Perm() != 0o600 {
		s.t.Errorf("token file: %v, %v", fi, err)
	}
	n := 0
	filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			s.t.Errorf("walk %s: %v", p, err)
		case p == s.in || p == s.config && d.IsDir():
			return fs.SkipDir
		case d.Type().IsRegular() && p != s.tokenFile() && !strings.HasPrefix(p, s.in+"/"):
			b, _ := os.ReadFile(p)
			check(s.t, p, string(b), secrets)
			n++
		}
		return nil
	})
	if n < 8 || !s.sawOwnCommandLine() {
		s.t.Errorf("only %d files searched, or the MDA's process list lacks fetchsecure: the rig is broken", n)
	}
	s.t.Logf("searched %d outputs and %d files for %d secrets", len(s.outputs)/2, n, len(secrets))
}

// sawOwnCommandLine reports whether a process list the MDA took shows the running
// fetchsecure's command line, so that a secret in any argv would have been seen.
func (s *leakRig) sawOwnCommandLine() bool {
	for _, f := range readDir(s.t, s.dump) {
		b, _ := os.ReadFile(filepath.Join(s.dump, f))
		if strings.HasPrefix(f, "ps.") && strings.Contains(string(b), s.bin+" --once -v -c "+s.config) {
			return true
		}
	}
	return false
}

func check(t *testing.T, where, text string, secrets []string) {
	t.Helper()
	for _, v := range secrets {
		if strings.Contains(text, v) {
			t.Errorf("%s holds the secret %s", where, v)
		}
	}
}

func readDir(t *testing.T, dir string) []string {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
