package fetchmailrc

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestAgreesWithFetchmailOnRandomFiles feeds both parsers generated files: entries
// built from the grammar with random option order, quoting, noise words, punctuation,
// comments and line breaks, values that spell keywords or numbers, and now and then a
// dropped or doubled token. The lexer's longest-match rules and the grammar's corners
// get exercised far beyond the corpus. The seed is fixed, so a failure reproduces.
func TestAgreesWithFetchmailOnRandomFiles(t *testing.T) {
	bin := fetchmailBinary(t)
	n := nRandom()
	if testing.Short() {
		n = 60
	}
	rng := rand.New(rand.NewPCG(seed(), 2))
	accepted := 0
	for i := 0; i < n; i++ {
		src := randomRC(rng)
		if _, rejected, _ := configdump(t, bin, []byte(src)); !rejected {
			accepted++
		}
		compareWithFetchmail(t, bin, fmt.Sprintf("random file %d:\n%s\n", i, src), []byte(src))
	}
	t.Logf("%d generated files, %d of them accepted by fetchmail", n, accepted)
	if accepted < n/3 {
		t.Errorf("fetchmail accepted only %d of %d generated files: the generator needs care", accepted, n)
	}
}

var (
	safeValues = []string{"a", "mail.example.org", "x@y.org", "in box", "", "%T", "a#b",
		`a\x41b`, "it's", `say "hi"`, "/usr/bin/procmail -d %T", "ssh -W %h:%p gw", "tls1.2"}
	trickyValues = []string{"with", "keep", "here", "user", "*", "1234", "-1", "no", "pass"}
	serverOpts   = []string{"via S", "proto P", "port N", "service N", "service S", "timeout N",
		"interval N", "auth A", "aka S S", "localdomains S", "envelope S", "envelope N S",
		"no dns", "nodns", "no uidl", "uidl", "no envelope", "plugin S", "tracepolls", "dns",
		"bad-header accept", "qvirtual S", "principal S"}
	userOpts = []string{"password S", "pass S", "is S here", "is S S here", "is S there", "to S",
		"is S = S here", "folder S", "folders S S", "mda S", "smtphost S", "smtp S S", "keep",
		"nokeep", "no keep", "fetchall", "no fetchall", "flush", "ssl", "no ssl", "sslcertck",
		"no sslcertck", "idle", "lmtp", "limit N", "fetchlimit N", "warnings N", "sslproto S",
		"sslfingerprint S", "preconnect S", "smtpname S", "antispam N N", "expunge N", "rewrite",
		"norewrite", "stripcr", "dropstatus", "mimedecode", "nomimedecode", "properties S"}
	noise = []string{"with", "and", "has", "wants", "options", ",", ";", ":", "# note\n", "\n", "\t"}
)

func randomRC(rng *rand.Rand) string {
	var toks []string
	pick := func(l []string) string { return l[rng.IntN(len(l))] }
	if rng.IntN(3) == 0 {
		toks = append(toks, pick([]string{"set daemon N", "set no bouncemail", "set nospambounce",
			"set logfile S", "set postmaster S", "set invisible", "set syslog", "set properties S"}))
	}
	if rng.IntN(4) == 0 {
		toks = append(toks, "defaults", pick(serverOpts), pick(userOpts))
	}
	for e, n := 0, 1+rng.IntN(3); e < n; e++ {
		toks = append(toks, pick([]string{"poll", "poll", "skip", "server"}), "S")
		for i := rng.IntN(4); i > 0; i-- {
			toks = append(toks, pick(serverOpts))
		}
		for u := rng.IntN(3); u >= 0; u-- {
			toks = append(toks, pick([]string{"user S", "user S there", "username S", "user S S here"}))
			for i := rng.IntN(5); i > 0; i-- {
				toks = append(toks, pick(userOpts))
			}
		}
	}
	return renderRandom(rng, toks)
}

// renderRandom expands S (a value), N (a number), P and A, adds noise, and sometimes
// drops or doubles a token.
func renderRandom(rng *rand.Rand, toks []string) string {
	var b strings.Builder
	for _, tok := range toks {
		for _, w := range strings.Fields(tok) {
			switch r := rng.IntN(150); {
			case r == 0:
				continue // dropped
			case r == 1:
				b.WriteString(w + " ")
			}
			b.WriteString(randomWord(rng, w))
			if rng.IntN(4) == 0 {
				b.WriteString(" " + noise[rng.IntN(len(noise))])
			}
			b.WriteString(" ")
		}
		if rng.IntN(2) == 0 {
			b.WriteString("\n")
		}
	}
	return b.String() + "\n"
}

func randomWord(rng *rand.Rand, w string) string {
	switch w {
	case "S":
		v := safeValues[rng.IntN(len(safeValues))]
		if rng.IntN(6) == 0 {
			v = trickyValues[rng.IntN(len(trickyValues))]
		}
		switch q := rng.IntN(3); {
		case q == 0 && v != "" && !strings.ContainsAny(v, " '\"=;:,#"):
			return v
		case q == 1 && !strings.Contains(v, "'"):
			return "'" + v + "'"
		case !strings.Contains(v, `"`):
			return `"` + v + `"`
		}
		return "x"
	case "N":
		return []string{"0", "1", "25", "993", "-1", "993", "110", "70000"}[rng.IntN(7+rng.IntN(2))]
	case "P":
		return []string{"imap", "IMAP", "pop3", "POP3", "apop", "auto", "kpop", "etrn", "Imap"}[rng.IntN(8+rng.IntN(2))]
	case "A":
		return []string{"any", "password", "ssh", "cram-md5", "gssapi", "external", "ntlm"}[rng.IntN(7)]
	}
	return w
}

func seed() uint64 { s, _ := strconv.ParseUint(os.Getenv("ORACLE_SEED"), 10, 64); return s + 1 }

func nRandom() int {
	if n, err := strconv.Atoi(os.Getenv("ORACLE_N")); err == nil {
		return n
	}
	return 600
}
