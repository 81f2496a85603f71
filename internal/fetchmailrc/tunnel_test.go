package fetchmailrc

import (
	"reflect"
	"strings"
	"testing"
)

func TestTunnels(t *testing.T) {
	doc, w := imp(t, `poll one via localhost port 1143 proto imap user u pass p
  preconnect "ssh -f -N -i ~/.ssh/k -L 1143:imap.internal:143 gw.example.org"
poll two proto imap user u pass p plugin "ssh -J j1,me@j2:2222 -W %h:%p gw.example.org" ssl
poll three proto imap user u plugin "/usr/bin/ssh mailhost exec /usr/lib/dovecot/imap" auth ssh
poll four proto imap user u pass p plugin "socat - PROXY:proxy:%h:%p,proxyport=3128"`)
	want(t, table(t, doc, "account", "one"), "host", "imap.internal", "port", 143, "tunnel", "gw-example-org",
		"tls", "none")
	want(t, table(t, doc, "tunnel", "gw-example-org"), "host", "gw.example.org", "identity_file", "~/.ssh/k")
	acc := table(t, doc, "account", "two")
	want(t, acc, "host", "two", "port", 993, "tls", "tls")
	tun := table(t, doc, "tunnel", acc["tunnel"].(string))
	want(t, tun, "host", "gw.example.org", "jump", "j2")
	want(t, table(t, doc, "tunnel", "j2"), "user", "me", "port", 2222, "jump", "j1")
	want(t, table(t, doc, "account", "three"), "tunnel_command",
		[]string{"/usr/bin/ssh", "mailhost", "exec", "/usr/lib/dovecot/imap"}, "tls", "none", "host", "three")
	want(t, table(t, doc, "account", "four"), "tunnel_command",
		[]string{"socat", "-", "PROXY:proxy:four:143,proxyport=3128"}, "tls", "starttls")
	if strings.Contains(w, "account three: no password") {
		t.Errorf("auth ssh needs no password:\n%s", w)
	}
}

func TestPreconnectThatIsNotATunnel(t *testing.T) {
	doc, w := imp(t, `poll a via localhost port 2000 proto imap user u pass p preconnect "ssh -f -L 3000:x:143 gw"
poll b proto imap user u pass p preconnect "fetch-token > ~/.tok"`)
	want(t, table(t, doc, "account", "a"), "tunnel", nil, "host", "localhost", "tls", "none")
	want(t, table(t, doc, "account", "b"), "tunnel", nil)
	wantWarning(t, w, "rc:1: preconnect: fetchsecure runs no command before connecting",
		"none of its -L forwards listens on port 2000", "rc:2: preconnect")
	if strings.Contains(w, "fetch-token") {
		t.Errorf("warnings show the command:\n%s", w)
	}
}

func TestSplitShell(t *testing.T) {
	for _, c := range []struct {
		cmd, words, features string
	}{
		{`procmail -d %T`, "procmail|-d|%T", ""},
		{`/usr/bin/procmail  -a 'x y' -d "%T"`, "/usr/bin/procmail|-a|x y|-d|%T", ""},
		{`a\ b "c\"d" 'e\f'`, `a b|c"d|e\f`, ""},
		{`procmail -f $F`, "procmail|-f|$F", "$ expansion"},
		{`deliver "$HOME/x"`, "deliver|$HOME/x", "$ expansion"},
		{"a `b`", "a|`b`", "a `command` substitution"},
		{`a | b`, "a|b", "a pipe |"},
		{`a && b`, "a|b", "&&"},
		{`a; b`, "a|b", "a ; between commands"},
		{`ssh -f x sleep 5 </dev/null >/dev/null 2>&1`, "ssh|-f|x|sleep|5", "a redirection <, a redirection >, a redirection >&"},
		{`a &`, "a", ""},
		{"a\nb", "a|b", "a line break (a second command)"},
		{`x *.txt`, "x|*.txt", "a wildcard (*)"},
		{`x '*.txt'`, "x|*.txt", ""},
		{`x ~/f a~b`, "x|~/f|a~b", "~ (home directory) expansion"},
		{`x ~bob/f`, "x|~bob/f", "~user (another user's home) expansion"},
		{`FOO=1 cmd`, "FOO=1|cmd", "a variable assignment"},
		{`x "unbalanced`, "x|unbalanced", "an unbalanced quote"},
	} {
		sh := splitShell(c.cmd)
		if got := strings.Join(sh.words, "|"); got != c.words {
			t.Errorf("%q: words %q, want %q", c.cmd, got, c.words)
		}
		if got := strings.Join(sh.features, ", "); got != c.features {
			t.Errorf("%q: features %q, want %q", c.cmd, got, c.features)
		}
	}
}

func TestParseSSH(t *testing.T) {
	s, err := parseSSH(strings.Fields("ssh -fNC -p 2222 -i k1 -o IdentityFile=k2 -o User=bob " +
		"-o UserKnownHostsFile=kh -J a,c@b:2 -L 127.0.0.1:1143:imap:143 -L 2000/::1/25 " +
		"alice@gate -o ServerAliveInterval=15 -W h:993 sleep 5"))
	if err != nil {
		t.Fatal(err)
	}
	want := &sshCmd{
		dest: hop{user: "bob", host: "gate", port: 2222}, identity: []string{"k1", "k2"},
		knownHosts: []string{"kh"}, jumps: []hop{{host: "a"}, {user: "c", host: "b", port: 2}},
		forwards: []forward{{bind: "127.0.0.1", listen: 1143, host: "imap", port: 143},
			{listen: 2000, host: "::1", port: 25}},
		w: "h:993", remote: []string{"sleep", "5"}, keepalive: 15,
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got  %+v\nwant %+v", s, want)
	}
	// Old ssh's -P took no argument (the Debian manual's example); new ssh's takes a tag.
	if s, err := parseSSH(strings.Fields("ssh -f -P -C -L 1:h:2 -l ref host")); err != nil || s.dest.user != "ref" {
		t.Errorf("-P before another option: %+v, %v", s, err)
	}
	for _, bad := range []string{"ssh", "ssh -Z host", "ssh -p x host", "ssh -L", "ssh -L nonsense host"} {
		if _, err := parseSSH(strings.Fields(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
	s, _ = parseSSH(strings.Fields("ssh -F cfg -o ProxyCommand=nc -o StrictHostKeyChecking=no -D 1080 ssh://u@h:24"))
	if s.dest != (hop{user: "u", host: "h", port: 24}) || len(s.unsupported) != 3 || len(s.ignored) != 1 {
		t.Errorf("got %+v", s)
	}
}

func TestTunnelOptionsNotCarriedOver(t *testing.T) {
	doc, w := imp(t, `poll a proto imap user u pass p plugin "ssh -o StrictHostKeyChecking=no -c aes128-ctr -W %h:%p gw"
poll b proto imap user v pass p plugin "ssh -o StrictHostKeyChecking=no -c aes128-ctr -W %h:%p gw"`)
	if table(t, doc, "account", "a")["tunnel"] != table(t, doc, "account", "b")["tunnel"] {
		t.Error("two accounts through one SSH server should share the tunnel")
	}
	wantWarning(t, w, "rc:1: plugin: ssh -o StrictHostKeyChecking=no (fetchsecure refuses unknown host keys")
}
