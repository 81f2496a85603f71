package fetchmailrc

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Differential tests against fetchmail itself: where `fetchmail --configdump` is
// installed (Debian: apt-get install fetchmail), every input is parsed by both, and the
// records must agree field by field, or both must reject the file. The test is skipped
// where fetchmail is missing.

func fetchmailBinary(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("fetchmail")
	if err != nil {
		t.Skip("fetchmail is not installed: no differential test")
	}
	return bin
}

// configdump runs fetchmail on src and returns one map per user record (server fields
// included), or rejected = true.
func configdump(t *testing.T, bin string, src []byte) (recs []map[string]string, rejected bool, out string) {
	t.Helper()
	dir := t.TempDir()
	rc := filepath.Join(dir, "rc")
	if err := os.WriteFile(rc, src, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", rc, "--configdump")
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir, "PATH=/usr/bin:/bin", "LC_ALL=C"}
	b, _ := cmd.CombinedOutput()
	out = string(b)
	if regexp.MustCompile(`syntax error|server option after user options|multiple "defaults"`).MatchString(out) {
		return nil, true, out
	}
	if !strings.Contains(out, "# End of initializer") {
		return nil, false, out // a later check failed (a bad port, LMTP on port 25, idle …)
	}
	return parseDump(out), false, out
}

var dumpField = regexp.MustCompile(`^\s*['"]([a-z_]+)['"]:\s?(.*?),?$`)

func parseDump(out string) []map[string]string {
	var recs []map[string]string
	server := map[string]string{}
	inUsers := false
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := dumpField.FindStringSubmatch(sc.Text())
		switch {
		case m == nil:
		case m[1] == "pollname":
			server, inUsers = map[string]string{}, false
			server[m[1]] = m[2]
		case m[1] == "users":
			inUsers = true
		case m[1] == "remote":
			rec := map[string]string{}
			for k, v := range server {
				rec[k] = v
			}
			rec[m[1]] = m[2]
			recs = append(recs, rec)
		case inUsers:
			recs[len(recs)-1][m[1]] = m[2]
		default:
			server[m[1]] = m[2]
		}
	}
	return recs
}

// fetchmailView renders what fetchmail makes of a record, in configdump's notation.
func fetchmailView(r *record, local string) map[string]string {
	v := map[string]string{"pollname": py(r.e.name), "active": pyBool(r.e.verb != "skip")}
	str := func(kw string) string {
		if o := r.get(kw); o != nil && !o.no {
			return py(o.args[0])
		}
		return "None"
	}
	flag := func(kw string, def bool) string {
		if o := r.get(kw); o != nil {
			return pyBool(!o.no)
		}
		return pyBool(def)
	}
	num := func(kw, def string) string {
		switch o := r.get(kw); {
		case o == nil:
			return def
		case o.args[0] == "-1" && kw == "timeout":
			return def // fetchmail: "maybe user overrode timeout on command line?"
		case o.args[0] == "-1":
			return "0" // NUM_VALUE_IN/OUT: -1 and 0 both read as 0
		}
		return r.get(kw).args[0]
	}
	for _, kw := range []string{"via", "plugin", "mda", "preconnect", "postconnect", "sslproto",
		"sslfingerprint", "sslcommonname", "smtpname", "smtpaddress"} {
		v[kw] = str(kw)
	}
	for kw, def := range map[string]bool{"keep": false, "fetchall": false, "flush": false,
		"rewrite": true, "idle": false, "ssl": false, "sslcertck": true, "lmtp": false,
		"dns": true, "uidl": false, "tracepolls": false} {
		v[kw] = flag(kw, def)
	}
	for kw, def := range map[string]string{"limit": "0", "fetchlimit": "0", "warnings": "3600",
		"expunge": "0", "timeout": "300", "interval": "0", "batchlimit": "0"} {
		v[kw] = num(kw, def)
	}
	v["protocol"], v["service"], v["auth"] = protocolView(r)
	v["aka"], v["localdomains"] = pyList(r.list("aka")), pyList(r.list("localdomains"))
	v["mailboxes"] = pyList(r.list("folder"))
	if hosts, _ := r.list("smtphost"); len(hosts) > 0 {
		v["smtphunt"] = pyList(hosts, 0)
	} else {
		v["smtphunt"] = `["localhost"]`
	}
	v["remote"], v["password"], v["localnames"] = userView(r, local)
	return v
}

func protocolView(r *record) (proto, service, auth string) {
	proto, service, auth = `"auto"`, "None", `"any"`
	if o := r.get("proto"); o != nil {
		proto = map[string]string{"auto": `"auto"`, "pop2": `"unknown?!?"`, "pop3": `"POP3"`,
			"imap": `"IMAP"`, "apop": `"APOP"`, "rpop": `"RPOP"`, "etrn": `"ETRN"`, "odmr": `"ODMR"`,
			"kpop": `"POP3"`, "sdps": `"POP3"`}[o.args[0]]
	}
	if p, s := r.get("port"), r.get("service"); p != nil || s != nil {
		o := p
		if o == nil || s != nil && s.off >= p.off {
			o = s
		}
		service = py(o.args[0])
	}
	if o := r.get("auth"); o != nil {
		auth = py(o.args[0])
	}
	return proto, service, auth
}

func userView(r *record, local string) (remote, password, locals string) {
	remote = py(local)
	if o := r.remote(); o != nil {
		remote = py(o.args[0])
	}
	password = "None"
	if o := r.get("password"); o != nil {
		password = py(o.args[0])
	} else if noPasswordNeeded(r) && r.e.verb != "skip" {
		password = remote // fetchmail's NO_PASSWORD(): any non-null string will do
	}
	names, wildcard := r.locals()
	var parts []string
	for _, m := range names {
		if m.pair {
			parts = append(parts, fmt.Sprintf("(%s, %s)", py(m.remote), py(m.local)))
		} else {
			parts = append(parts, py(m.local))
		}
	}
	if len(parts) == 0 {
		parts = []string{py(local)}
	}
	if wildcard {
		parts = append(parts, "'*'")
	}
	return remote, password, "[" + strings.Join(parts, ", ") + "]"
}

func noPasswordNeeded(r *record) bool {
	if o := r.get("proto"); o != nil && (o.args[0] == "etrn" || o.args[0] == "odmr") {
		return true
	}
	o := r.get("auth")
	return o != nil && strings.Contains(" otp kerberos_v4 kerberos_v5 gssapi ssh external ", " "+o.args[0]+" ")
}

func py(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func pyBool(b bool) string {
	if b {
		return "TRUE"
	}
	return "FALSE"
}

func pyList(vals []string, _ int) string {
	q := make([]string, len(vals))
	for i, s := range vals {
		q[i] = py(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// printable reports whether configdump shows v as we render it (it escapes other bytes
// its own way).
func printable(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

// compareWithFetchmail parses src both ways and reports every difference.
func compareWithFetchmail(t *testing.T, bin, name string, src []byte) {
	t.Helper()
	want, fmRejects, out := configdump(t, bin, src)
	d := &diags{file: name}
	rc, lerr := parse(string(src), d)
	if lerr != nil {
		return // an unterminated string: fetchmail reads it as a word, we refuse
	}
	recs := records(rc, d)
	if (rc.rejected != 0) != fmRejects {
		t.Errorf("%s: fetchmail rejects: %v, importer says rejected at line %d\nfetchmail: %s",
			name, fmRejects, rc.rejected, firstLines(out))
		return
	}
	if fmRejects || want == nil || leadingDefaults(rc) > 1 {
		return // fetchmail polls a server named "defaults"; we take it as defaults
	}
	if len(recs) != len(want) {
		t.Errorf("%s: %d records, fetchmail has %d\n%s", name, len(recs), len(want), firstLines(out))
		return
	}
	me := currentUser(t)
	for i, r := range recs {
		for k, got := range fetchmailView(r, me) {
			if w, ok := want[i][k]; ok && printable(got) && printable(w) && got != w {
				t.Errorf("%s record %d (%s): %s = %s, fetchmail says %s", name, i, r.e.name, k, got, w)
			}
		}
	}
}

func leadingDefaults(rc *rcFile) int {
	n := 0
	for n < len(rc.entries) && rc.entries[n].verb == "defaults" {
		n++
	}
	return n
}

func currentUser(t *testing.T) string {
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return u.Username
}

func firstLines(s string) string {
	var b bytes.Buffer
	for i, l := range strings.Split(s, "\n") {
		if i < 8 && !strings.Contains(l, "Running as root") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func TestAgreesWithFetchmailOnTestdata(t *testing.T) {
	bin := fetchmailBinary(t)
	files, _ := filepath.Glob("testdata/*.rc")
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		compareWithFetchmail(t, bin, f, src)
	}
}
