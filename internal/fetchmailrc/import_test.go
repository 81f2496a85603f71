package fetchmailrc

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// imp imports src and returns the decoded TOML and the warnings, one per line.
func imp(t *testing.T, src string) (map[string]any, string) {
	t.Helper()
	res, err := Import("rc", []byte(src), Options{LocalUser: "me"})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	var doc map[string]any
	if _, err := toml.Decode(string(res.TOML), &doc); err != nil {
		t.Fatalf("output is not TOML: %v\n%s", err, res.TOML)
	}
	if p := schemaProblems(res.TOML, false); len(p) > 0 {
		t.Errorf("output breaks the schema: %v\n%s", p, res.TOML)
	}
	var w []string
	for _, x := range res.Warnings {
		w = append(w, x.String())
	}
	return doc, strings.Join(w, "\n")
}

func table(t *testing.T, doc map[string]any, kind, name string) map[string]any {
	t.Helper()
	tables, _ := doc[kind].(map[string]any)
	tt, ok := tables[name].(map[string]any)
	if !ok {
		t.Fatalf("no [%s.%s]; have %v", kind, name, keysOf(tables))
	}
	return tt
}

func keysOf(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	return k
}

// want checks key = value in a table; value nil means the key must be absent.
func want(t *testing.T, tt map[string]any, kv ...any) {
	t.Helper()
	for i := 0; i < len(kv); i += 2 {
		k, w := kv[i].(string), kv[i+1]
		got, ok := tt[k]
		switch {
		case w == nil && ok:
			t.Errorf("%s = %v, want it absent", k, got)
		case w != nil && !reflect.DeepEqual(normal(got), w):
			t.Errorf("%s = %#v, want %#v", k, got, w)
		}
	}
}

// normal turns decoded TOML values into plain Go ones ([]any of strings → []string).
func normal(v any) any {
	switch v := v.(type) {
	case int64:
		return int(v)
	case []any:
		s := make([]string, len(v))
		for i, e := range v {
			s[i], _ = e.(string)
		}
		return s
	}
	return v
}

func wantWarning(t *testing.T, warnings string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(warnings, p) {
			t.Errorf("no warning says %q; warnings:\n%s", p, warnings)
		}
	}
}

func TestUserDescriptions(t *testing.T) {
	for _, c := range []struct{ name, src, user, to string }{
		{"user there is here", `poll h proto imap user "ref" there with password "p" is alex here`, "ref", "alex"},
		{"user with pass is", "poll h proto imap user ref with pass p is alex here", "ref", "alex"},
		{"is without here", "poll h proto imap user ref pass p is alex", "ref", "alex"},
		{"to", "poll h proto imap user ref pass p to alex", "ref", "alex"},
		{"reversed", "poll h proto imap user alex here is ref there pass p", "ref", "alex"},
		{"noise and punctuation", "poll h, with proto imap; user 'ref', there, is, 'alex' here; pass 'p';", "ref", "alex"},
		{"defaults to the login name", "poll h proto imap pass p", "me", "me"},
		{"a keyword spelling is a name after user", "poll h proto imap user keep pass with is here", "keep", "here"},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc, _ := imp(t, c.src)
			want(t, table(t, doc, "account", "h"), "user", c.user, "deliver_to", c.to)
		})
	}
}

func TestMultipleUsersMakeAccounts(t *testing.T) {
	doc, _ := imp(t, `poll mail.example.org proto pop3
		user u1@example.org pass p1 is l1 here
		user u2@example.org pass p2 is l2 here keep`)
	want(t, table(t, doc, "account", "mail-example-org-u1"), "user", "u1@example.org", "keep", false, "deliver_to", "l1")
	want(t, table(t, doc, "account", "mail-example-org-u2"), "user", "u2@example.org", "keep", true, "deliver_to", "l2")
}

func TestDefaultsApplyToLaterEntriesOnly(t *testing.T) {
	doc, w := imp(t, `poll early proto imap user e pass p
defaults proto pop3 user x is y here keep folder F
poll a
poll b user z password q no keep`)
	want(t, table(t, doc, "account", "early"), "protocol", "imap", "keep", false, "user", "e")
	want(t, table(t, doc, "account", "a"), "protocol", "pop3", "keep", true, "user", "x", "deliver_to", "y")
	want(t, table(t, doc, "account", "b"), "protocol", "pop3", "keep", false, "user", "z", "deliver_to", "y")
	wantWarning(t, w, "rc:2: fetchmail 6.4 accepts `defaults` only as the first entry",
		"folder", "POP3 has a single mailbox")
}

func TestSkipAndVia(t *testing.T) {
	doc, _ := imp(t, "skip label via real.example.org proto imap user u pass p")
	want(t, table(t, doc, "account", "label"), "enabled", false, "host", "real.example.org")
}

func TestProtocols(t *testing.T) {
	doc, w := imp(t, `poll a proto APOP user u pass p
poll b user u pass p port 995 ssl
poll c proto auto user u pass p`)
	want(t, table(t, doc, "account", "a"), "protocol", "pop3", "auth", "apop")
	want(t, table(t, doc, "account", "b"), "protocol", "pop3", "port", 995, "tls", "tls")
	want(t, table(t, doc, "account", "c"), "protocol", "imap")
	wantWarning(t, w, "rc:2: no protocol: fetchmail tried IMAP, then POP3; imported as POP3",
		"rc:3: proto auto: fetchmail tried IMAP, then POP3; imported as IMAP")
}

func TestTLS(t *testing.T) {
	doc, w := imp(t, `poll a proto imap user u pass p ssl sslcertfile /etc/ca.pem sslcommonname imap.a sslfingerprint "AB:CD"
poll b proto imap user u pass p
poll localhost proto imap port 1143 user u pass p
poll c proto imap user u pass p sslproto ''`)
	want(t, table(t, doc, "account", "a"), "tls", "tls", "ca_file", "/etc/ca.pem", "tls_server_name", "imap.a",
		"tls_fingerprint", nil)
	want(t, table(t, doc, "account", "b"), "tls", "starttls")
	want(t, table(t, doc, "account", "localhost"), "tls", "none")
	want(t, table(t, doc, "account", "c"), "tls", "starttls")
	wantWarning(t, w, `rc:1: sslfingerprint "AB:CD": an MD5 fingerprint`, "SHA-256",
		`rc:4: account c: fetchmail used no TLS (sslproto ""), but fetchsecure sends no password in plaintext`)
}

func TestMDA(t *testing.T) {
	doc, w := imp(t, `poll a proto imap user u pass p mda "/usr/bin/procmail -a 'x y' -d %T"
poll b proto imap user u pass p mda "procmail -d %T >>/tmp/log 2>&1"
poll c proto imap user u pass p mda "/usr/bin/procmail -f $F -d %T"
poll d proto imap user u pass p mda "deliver -d %s"`)
	want(t, table(t, doc, "account", "a"), "mda", []string{"/usr/bin/procmail", "-a", "x y", "-d", "%T"},
		"deliver_to", "me")
	want(t, table(t, doc, "account", "b"), "mda", nil, "smtp", nil)
	want(t, table(t, doc, "account", "c"), "mda", nil)
	want(t, table(t, doc, "account", "d"), "mda", []string{"deliver", "-d", "%T"})
	wantWarning(t, w, "rc:2: mda: fetchmail ran the mda with /bin/sh, and this one uses a redirection >>",
		"rc:3: mda: fetchmail ran the mda with /bin/sh, and this one uses $ expansion",
		"probably meant as %F or %T")
}

func TestSMTPAndLMTP(t *testing.T) {
	doc, w := imp(t, `poll a proto imap user u pass p is l here smtphost mx.example.org/2525 mx2
poll b proto imap user u pass p smtphost /run/dovecot/lmtp lmtp
poll c proto imap user u pass p smtphost "::1/24" lmtp smtpname rcpt@example.org
poll d proto imap user u pass p is l here smtpaddress example.org`)
	want(t, table(t, doc, "account", "a"), "smtp", "mx.example.org:2525", "deliver_to", "l")
	want(t, table(t, doc, "account", "b"), "lmtp", "unix:/run/dovecot/lmtp", "deliver_to", "me")
	want(t, table(t, doc, "account", "c"), "lmtp", "[::1]:24", "deliver_to", "rcpt@example.org")
	want(t, table(t, doc, "account", "d"), "smtp", "localhost:25", "deliver_to", "l@example.org")
	wantWarning(t, w, "fetchmail tried mx.example.org/2525, mx2 in turn")
}

func TestNumbersAndIdle(t *testing.T) {
	doc, w := imp(t, `set daemon 300
poll a proto imap interval 3 timeout 20 user u pass p limit 100000 fetchlimit 7 idle
poll b proto pop3 user u pass p idle`)
	if doc["poll_interval"] != "300s" {
		t.Errorf("poll_interval = %v, want 300s", doc["poll_interval"])
	}
	want(t, table(t, doc, "account", "a"), "timeout", "20s", "limit", 100000, "max_messages", 7, "idle", true)
	want(t, table(t, doc, "account", "b"), "idle", nil)
	wantWarning(t, w, "rc:2: interval 3: no equivalent", "rc:3: idle: IDLE is an IMAP command")
}

func TestKeepWarnings(t *testing.T) {
	_, w := imp(t, `poll a proto imap user u pass p keep
poll b proto imap user u pass p
poll c proto imap user u pass p fetchall
poll d proto pop3 user u pass p`)
	wantWarning(t, w, "rc:1: account a: keep = true: the first run delivers again",
		"rc:2: account b: fetchmail left IMAP messages marked seen")
	if strings.Contains(w, "account c: fetchmail left") || strings.Contains(w, "account d: fetchmail left") {
		t.Errorf("fetchall, or POP3, need no warning about seen messages:\n%s", w)
	}
}

func TestRecoveries(t *testing.T) {
	doc, w := imp(t, "set no bouncemail# comment\npoll a proto Pop3 user u\npassword\nmda \"/usr/bin/procmail\"\nkeep# keep it\n")
	want(t, table(t, doc, "account", "a"), "protocol", "pop3", "keep", true, "mda", []string{"/usr/bin/procmail"},
		"password", nil)
	wantWarning(t, w, "rc:1: fetchmail 6.4 rejects `bouncemail#`",
		"rc:2: fetchmail 6.4 knows the protocol `Pop3` only in lower or upper case",
		"rc:3: `password` has no value, so fetchmail 6.4 takes `mda` (line 4) as its value",
		"rc:5: fetchmail 6.4 rejects `keep#`")
	if strings.Contains(w, "syntax error") {
		t.Errorf("every error here has a recovery:\n%s", w)
	}
}

func TestBacktickPassword(t *testing.T) {
	doc, w := imp(t, "poll a proto pop3 user u password `cat ~/.pw` ssl\npoll b proto pop3 user u password `pass show mail` ssl\npoll c proto pop3 user u password `x` ssl")
	want(t, table(t, doc, "account", "a"), "password_file", "~/.pw", "password", nil, "tls", "tls")
	want(t, table(t, doc, "account", "b"), "password_command", []string{"pass", "show", "mail"})
	want(t, table(t, doc, "account", "c"), "password", "`x`") // one word: fetchmail sends it as it is
	wantWarning(t, w, "rc:1: fetchmail 6.4 does not run `backtick` commands")
}

func TestSecretsStayOutOfWarnings(t *testing.T) {
	const secret = "Zq8-unguessable"
	_, w := imp(t, "poll a proto imap user u password "+secret+" bogus words\nesmtppassword "+secret+"\n")
	if strings.Contains(w, secret) {
		t.Errorf("a warning shows the password:\n%s", w)
	}
	wantWarning(t, w, "rc:1: fetchmail 6.4 rejects this file: syntax error at a word on the password's line")
}

func TestValuesTOMLCannotHoldAsIs(t *testing.T) {
	doc, w := imp(t, "poll a proto imap user \"x\\\"y\" pass \"tab\\there\\nnl\\x01\\xff\" folder \"\\xe9t\\xc3\\xa9\"\n")
	want(t, table(t, doc, "account", "a"), "password", "tab\there\nnl\x01\uFFFD", "folders", []string{"\uFFFDté"})
	wantWarning(t, w, "is not valid UTF-8")
}

func TestImportErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"poll a user u password \"unterminated\n", "rc:1: unterminated string"},
		{"poll a\nuser 'u\n", "rc:2: unterminated string"},
		{"poll a\x00", "rc:1: NUL byte"},
	} {
		_, err := Import("rc", []byte(c.src), Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.src, err, c.want)
		}
		var fe *fail.Error
		if !errors.As(err, &fe) || fe.Kind != fail.Config || fe.Hint == "" {
			t.Errorf("%q: want a fail.Config error with a hint, got %#v", c.src, err)
		}
	}
}

func TestEmptyAndCommentOnlyFiles(t *testing.T) {
	for _, src := range []string{"", "# nothing\n", "\n\n"} {
		doc, w := imp(t, src)
		if doc["account"] != nil {
			t.Errorf("%q: accounts from nothing", src)
		}
		wantWarning(t, w, "no poll entry")
	}
}

func TestAccountNames(t *testing.T) {
	doc, _ := imp(t, `poll Mail.Example.COM proto imap user a pass p
poll mail.example.com proto imap user b pass p
poll "${HOST}" proto imap user a pass p folder x
poll "${HOST}" proto imap user a pass p folder y
poll "!!" proto imap user a pass p`)
	for _, name := range []string{"mail-example-com-a", "mail-example-com-b", "host-x", "host-y", "account"} {
		table(t, doc, "account", name)
	}
}

// TestEveryOptionIsAccountedFor: each option of the grammar, alone in an entry, ends up
// as a TOML key or as a "fetchmail: …" comment; none disappears.
func TestEveryOptionIsAccountedFor(t *testing.T) {
	mapped := map[string]string{"via": "host", "proto": "protocol", "port": "port", "service": "port",
		"password": "password", "folder": "folders", "smtphost": "smtp", "mda": "mda", "lmtp": "lmtp",
		"keep": "keep", "ssl": "tls", "sslcertfile": "ca_file", "sslcommonname": "tls_server_name",
		"limit": "limit", "fetchlimit": "max_messages", "timeout": "timeout", "idle": "idle",
		"plugin": "tunnel_command", "smtpname": "deliver_to", "smtpaddress": "deliver_to"}
	args := map[argKind]string{argNone: "", argString: `"v"`, argNumber: "7", argService: "993",
		argStrings: "a b", argNumbers: "550 -1", argProto: "pop3", argAuth: "cram-md5",
		argEnvelope: "1 X-To", argBadHeader: "accept"}
	check := func(kw, src string) {
		res, err := Import("rc", []byte(src), Options{LocalUser: "me"})
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		out := string(res.TOML)
		key := mapped[kw]
		if !strings.Contains(out, "fetchmail: "+kw) && !strings.Contains(out, "fetchmail: no "+kw) &&
			(key == "" || !strings.Contains(out, "\n"+key+" = ")) {
			t.Errorf("%q: the option left no trace:\n%s", src, out)
		}
	}
	for kw, kind := range serverOptions {
		check(kw, "poll h "+kw+" "+args[kind]+"\n user u pass p\n")
		if serverNegatable[kw] {
			check(kw, "poll h no "+kw+"\n user u pass p\n")
		}
	}
	for kw, kind := range userOptions {
		check(kw, "poll h user u pass p "+kw+" "+args[kind]+"\n")
		if userNegatable[kw] {
			check(kw, "poll h user u pass p no "+kw+"\n")
		}
	}
	for kw := range globalNegatable {
		check("set "+kw, "set "+kw+"\npoll h user u pass p\n")
		check("set no "+kw, "set no "+kw+"\npoll h user u pass p\n")
	}
	for kw, kind := range globalValued {
		check("set "+kw, "set "+kw+" "+map[argKind]string{argString: `"x"`, argNumber: "0"}[kind]+
			"\npoll h user u pass p\n")
	}
	mapped["set daemon"] = "poll_interval"
	check("set daemon", "set daemon 60\npoll h user u pass p\n")
}

func TestNoLocalUser(t *testing.T) {
	res, err := Import("rc", []byte("poll h proto imap pass p\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.TOML)
	for _, want := range []string{`# user = ""`, `# deliver_to = ""`} {
		if !strings.Contains(out, want) {
			t.Errorf("want %s in\n%s", want, out)
		}
	}
	var w []string
	for _, x := range res.Warnings {
		w = append(w, x.String())
	}
	wantWarning(t, strings.Join(w, "\n"), "no user name", "no local recipient")
}

func TestMDAHomeExpansion(t *testing.T) {
	src := []byte(`poll a proto imap user u pass p mda "/usr/bin/procmail -m ~/.procmailrc"
poll b proto imap user u pass p mda "procmail -m ~bob/.procmailrc"
`)
	res, err := Import("rc", src, Options{LocalUser: "me", HomeDir: "/home/me/"})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if _, err := toml.Decode(string(res.TOML), &doc); err != nil {
		t.Fatal(err)
	}
	want(t, table(t, doc, "account", "a"), "mda", []string{"/usr/bin/procmail", "-m", "/home/me/.procmailrc"})
	want(t, table(t, doc, "account", "b"), "mda", nil) // another user's ~: left to the user
	doc, _ = imp(t, string(src))                       // no HomeDir: the ~ stays a shell feature
	want(t, table(t, doc, "account", "a"), "mda", nil)
}

func TestPortAndSSLMismatch(t *testing.T) {
	_, w := imp(t, "poll a proto imap port 993 user u pass p\npoll b proto pop3 port 110 user u pass p ssl\npoll c proto imap port 993 user u pass p ssl\n")
	wantWarning(t, w, "rc:1: account a: port 993 does not go with", "rc:2: account b: port 110 does not go with")
	if strings.Contains(w, "account c: port") {
		t.Errorf("993 with ssl is right:\n%s", w)
	}
}
