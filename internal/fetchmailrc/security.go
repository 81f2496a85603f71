package fetchmailrc

import (
	"fmt"
	"strings"
)

// security writes tls and what goes with it: fetchsecure always verifies the server's
// certificate, never falls back to plaintext, and allows tls = "none" only to loopback
// or inside a tunnel.
func (a *acct) security() {
	proto := a.take("sslproto")
	plain := proto != nil && proto.args[0] == "" // fetchmail: no TLS at all, not even STARTTLS
	switch {
	case a.ssl:
		a.t.set("tls", "tls", "fetchmail: ssl")
	case a.rt != nil && a.rt.ssh:
		a.t.set("tls", "none", "the connection runs inside SSH; fetchmail used no TLS either")
	case isLoopback(a.host):
		a.t.set("tls", "none", "plaintext, but only to this machine (fetchmail had no ssl either)")
	case plain:
		a.t.set("tls", "starttls", "fetchmail: no TLS at all (sslproto \"\")")
		a.warn(proto.line, "fetchmail used no TLS (sslproto \"\"), but fetchsecure sends no password "+
			"in plaintext over the network: imported as tls = \"starttls\"; if the server offers no "+
			"STARTTLS, reach it through an SSH tunnel")
	default:
		a.t.set("tls", "starttls", "fetchmail 6.4 used STARTTLS if offered, else plaintext; fetchsecure requires it")
	}
	a.portMismatch()
	switch {
	case proto != nil && !plain:
		a.sslproto(proto)
	case plain && !a.ssl && (a.rt != nil && a.rt.ssh || isLoopback(a.host)):
		a.note(proto, false, "no TLS, as here")
	case plain && a.ssl:
		a.note(proto, false, "ignored by fetchmail with ssl")
	}
	a.certificates()
}

// portMismatch warns about ssl on a STARTTLS port, or its absence on an implicit-TLS
// port: fetchmail could not connect either way (fetchmail GitLab #31).
func (a *acct) portMismatch() {
	mismatch := a.ssl && (a.port == 143 || a.port == 110) || !a.ssl && (a.port == 993 || a.port == 995)
	if a.rt != nil || !mismatch {
		return
	}
	want := "tls"
	if a.ssl {
		want = "starttls"
	}
	a.warn(a.r.e.line, "port %d does not go with fetchmail's `ssl` setting here, so fetchmail could "+
		"not have connected; if the server speaks TLS from the start on that port, tls must be "+
		"\"tls\", else \"%s\"", a.port, want)
}

func (a *acct) sslproto(o *opt) {
	switch v := strings.ToLower(o.args[0]); v {
	case "auto", "ssl23", "tls1+", "tls1.1+", "tls1.2+", "tls1.3+", "tls1.2", "tls1.3":
		a.note(o, false, "fetchsecure negotiates TLS 1.2 or newer")
	case "ssl2", "ssl3", "ssl3+", "tls1", "tls1.1":
		a.note(o, true, "fetchsecure never uses anything older than TLS 1.2; a server that offers "+
			"nothing newer cannot be reached")
	default:
		a.note(o, true, "an SSL protocol name fetchsecure does not know; it negotiates TLS 1.2 or newer")
	}
}

// certificates maps the options about the server's certificate.
func (a *acct) certificates() {
	if o := a.take("sslcommonname"); o != nil {
		a.t.set("tls_server_name", o.args[0], "fetchmail: sslcommonname")
	}
	if o := a.take("sslcertfile"); o != nil {
		a.t.set("ca_file", o.args[0], "fetchmail trusted only this file; fetchsecure trusts the system's CAs too")
	}
	if on, o := a.flag("sslcertck"); o != nil && on {
		a.note(o, false, "fetchsecure always verifies the server's certificate")
	} else if o != nil {
		a.note(o, true, "fetchsecure always verifies the server's certificate; for a self-signed one, "+
			"set ca_file to it, or pin its key with tls_fingerprint")
	}
	if o := a.take("sslcertpath"); o != nil {
		a.certPath(o)
	}
	if o := a.take("sslfingerprint"); o != nil {
		text := "an MD5 fingerprint of the certificate, which fetchsecure cannot use: it pins the " +
			"SHA-256 of the server's public key (tls_fingerprint = \"sha256:…\"), and verifies the " +
			"certificate as well."
		a.noteAt(o.line, optText(o), false, text, "To pin it, get the pin with: "+a.pinCommand())
		a.c.d.add(o.line, "%s: %s The comment in the account says how to get the pin.", optText(o), text)
	}
}

func (a *acct) certPath(o *opt) {
	switch strings.TrimRight(o.args[0], "/") {
	case "/etc/ssl/certs", "/etc/pki/tls/certs", "/etc/pki/ca-trust/extracted/pem",
		"/usr/share/ca-certificates", "/usr/local/share/certs", "/etc/ssl":
		a.note(o, false, "the system's CA certificates, which fetchsecure uses anyway")
	default:
		a.note(o, true, "fetchsecure reads one CA file, not a directory: set ca_file to the PEM "+
			"file of the CA that signed the server's certificate (the system's CAs are used too)")
	}
}

// pinCommand is the shell command that prints a server's SHA-256 public-key pin.
func (a *acct) pinCommand() string {
	starttls := ""
	if !a.ssl {
		starttls = " -starttls " + map[string]string{"imap": "imap", "pop3": "pop3"}[a.proto]
	}
	return fmt.Sprintf("openssl s_client -connect %s -servername %s%s </dev/null | "+
		"openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256",
		joinHostPort(a.host, a.portOrDefault()), a.host, starttls)
}

// credentials writes user, the password source and auth.
func (a *acct) credentials() {
	if rem := a.r.remote(); rem != nil {
		a.t.set("user", a.userName, "")
		a.checkValue("user", a.userName, rem.line)
	} else if a.userName != "" {
		a.t.set("user", a.userName, "fetchmail's default: your login name")
	} else {
		a.t.setOff("user", "", "fetchmail's default: your login name")
		a.warn(a.r.u.line, "no user name: fetchmail used your login name; set user")
	}
	if a.userName == "" && a.r.remote() != nil {
		a.warn(a.r.remote().line, "the user name is empty; set user")
	}
	a.password()
	a.auth()
}

func (a *acct) remoteName() string {
	if rem := a.r.remote(); rem != nil {
		return rem.args[0]
	}
	return a.c.opts.LocalUser
}

func (a *acct) password() {
	o := a.take("password")
	switch auth := a.r.get("auth"); {
	case o == nil && auth != nil && (auth.args[0] == "ssh" || auth.args[0] == "external"):
		a.t.comment("No password: fetchmail needed none (auth " + auth.args[0] + ").")
	case o == nil:
		a.t.comment("No password in the fetchmailrc: fetchmail looked in ~/.netrc or asked for it. " +
			"fetchsecure asks only when run interactively; for cron or a daemon, set " +
			"password_command (for example a keyring lookup such as [\"secret-tool\", \"lookup\", …]).")
		a.warn(a.r.u.line, "no password: fetchmail read it from ~/.netrc or asked; set password_command "+
			"for unattended runs")
	case o.cmd != "":
		a.passwordCommand(o)
	default:
		a.t.set("password", o.args[0], "plaintext: better move it to password_command or password_file")
		a.c.passwords++
		a.warn(o.line, "the password is copied in plaintext; keep the file private (mode 0600), or "+
			"better, put it in your keyring and set password_command")
		if o.args[0] == "" {
			a.warn(o.line, "the password is empty")
		}
		a.checkValue("password", o.args[0], o.line)
	}
}

// passwordCommand maps a `backtick` password: `cat FILE` becomes password_file, a simple
// command password_command; anything needing a shell stays a comment.
func (a *acct) passwordCommand(o *opt) {
	sh := splitShell(o.cmd)
	words := sh.words
	tildeOnly := len(sh.features) == 1 && strings.HasPrefix(sh.features[0], "~")
	switch {
	case len(words) == 2 && words[0] == "cat" && (len(sh.features) == 0 || tildeOnly) && sh.tail == "":
		a.t.set("password_file", words[1], "fetchmail: password `"+oneLine(o.cmd)+"`")
		a.warn(o.line, "the password `%s` is imported as password_file; the file must not be "+
			"readable by group or others", oneLine(o.cmd))
	case len(sh.features) == 0 && sh.tail == "" && len(words) > 0:
		a.t.set("password_command", words, "fetchmail: password `…`")
		a.warn(o.line, "the password `…` is imported as password_command")
	default:
		a.t.comment("fetchmail: password `" + oneLine(o.cmd) + "`: a shell command (" +
			strings.Join(sh.features, ", ") + "); fetchsecure runs no shell: put it in a script " +
			"and set password_command = [\"/path/to/script\"].")
		a.warn(o.line, "the password `…` needs a shell; set password_command yourself")
	}
}

func (a *acct) auth() {
	a.take("auth")
	o := a.r.shown("auth") // `auth any` in effect, or written
	if a.apop {
		a.t.set("auth", "apop", "fetchmail: protocol APOP")
	}
	if o == nil {
		return
	}
	switch v := o.args[0]; {
	case v == "any" || v == "password":
		a.note(o, false, "what fetchsecure's auth = \"auto\" does (SASL PLAIN, or LOGIN / USER and PASS, "+
			"always under TLS or in a tunnel)")
	case v == "ssh" && a.rt != nil && a.rt.command != nil:
		a.note(o, false, "the tunnel command starts a logged-in session (PREAUTH); nothing to set")
	default:
		a.note(o, true, "fetchsecure supports plain, login, apop and oauth2 (token_command); "+
			"imported with the default, auth = \"auto\"")
	}
}
