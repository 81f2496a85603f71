package fetchmailrc

import (
	"fmt"
	"strings"
	"testing"
)

// lexAll shows the tokens of src: keywords bare, strings as s:value, numbers as n:digits.
func lexAll(src string) (string, *lexError) {
	lx := newLexer(src)
	var out []string
	for t := lx.next(); t.kind != tEOF; t = lx.next() {
		switch t.kind {
		case tString:
			out = append(out, "s:"+t.val)
		case tNumber:
			out = append(out, "n:"+t.val)
		case tMap:
			out = append(out, "=")
		case tProto:
			out = append(out, "proto:"+t.kw)
		case tAuth:
			out = append(out, "auth:"+t.kw)
		default:
			out = append(out, t.kw)
		}
	}
	return strings.Join(out, " "), lx.err
}

// Each case was checked against fetchmail 6.4.37 (--configdump) when written.
func TestLexer(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"noise words and punctuation vanish", "poll a, with proto: IMAP; and has wants options x",
			"poll s:a proto proto:imap s:x"},
		{"synonyms", "server a protocol pop3 username b pass c folders d smtp e pre f post g local h",
			"poll s:a proto proto:pop3 user s:b password s:c folder s:d smtphost s:e preconnect s:f postconnect s:g localdomains s:h"},
		{"protocols in lower or upper case only", "proto IMAP imap Imap apop APOP kpop sdps",
			"proto proto:imap proto:imap s:Imap proto:apop proto:apop proto:kpop proto:sdps"},
		{"keywords are case-sensitive", "Keep KEEP keep", "s:Keep s:KEEP keep"},
		{"one-word negations", "nokeep nofetchall nodns nosyslog nossl nobouncemail",
			"no keep no fetchall no dns s:nosyslog s:nossl no bouncemail"},
		{"numbers", "port 993 -1 12a 0x10", "port n:993 n:-1 s:12a s:0x10"},
		{"comment at a word start", "keep # comment\nfetchall", "keep fetchall"},
		{"a # inside a word is part of it", "keep#x folder a#b", "s:keep#x folder s:a#b"},
		{"a comment needs a newline after it", "keep\n# last", "keep s:# s:last"},
		{"double and single quotes", `"a b" 'c d' "it's" 'say "hi"'`, `s:a b s:c d s:it's s:say "hi"`},
		{"a quoted string wins only if not shorter than the bare word", `"a@b"" "x"y "a b"c`,
			`s:"a@b"" s:"x"y s:a b s:c`},
		{"a quote ends at the next quote, escaped or not", `"a\"b c"`, `s:"a"b s:c"`},
		{"escapes", `"a\tb\nc\\d\x41\101\0101\q"`, "s:a\tb\nc\\dAe\b1q"},
		{"escapes in bare words too", `a\x41b`, "s:aAb"},
		{"a NUL from an escape ends the value", `"ab\x00cd" "e\0f"`, "s:ab s:e"},
		{"decimal escapes wrap at 256", `"\301x\256y"`, "s:-x"},
		{"backslash-newline joins lines in strings", "\"ab\\\ncd\"", "s:abcd"},
		{"backslash-newline outside strings is a newline", "keep \\\nflush", "keep flush"},
		{"quoted strings keep newlines", "\"ab\ncd\"", "s:ab\ncd"},
		{"after user, any word is a name", "user keep pass with is here to no", "user s:keep password s:with is s:here to s:no"},
		{"only the next word", "user a keep", "user s:a keep"},
		{"after =, the next word is a name", "is a = keep here", "is s:a = s:keep here"},
		{"set daemon = 30 makes 30 a string", "set daemon = 30", "set daemon = s:30"},
		{"password after auth is a type", "auth password pass x", "auth auth:password password s:x"},
		{"pass after auth is a word", "auth pass", "auth s:pass"},
		{"authentication types are keywords anywhere", "folder any ssh", "folder auth:any auth:ssh"},
		{"kerberos spellings", "auth kerberos auth kerberos_v5 auth cram", "auth auth:kerberos_v4 auth auth:kerberos_v5 auth auth:cram-md5"},
		{"CR is white space", "keep\r\nflush\r\n", "keep flush"},
		{"other control bytes are word bytes", "a\fb", "s:a\fb"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := lexAll(c.src)
			if err != nil {
				t.Fatalf("lex error: %v", err.msg)
			}
			if got != c.want {
				t.Errorf("%q\n got  %q\n want %q", c.src, got, c.want)
			}
		})
	}
}

func TestLexerLineNumbers(t *testing.T) {
	lx := newLexer("poll a\n\"x\ny\" # c\n\nkeep\\\nflush")
	var lines []int
	for tok := lx.next(); tok.kind != tEOF; tok = lx.next() {
		lines = append(lines, tok.line)
	}
	if got := fmt.Sprint(lines); got != "[1 1 2 5 6]" {
		t.Errorf("token lines %s, want [1 1 2 5 6]", got)
	}
}

func TestLexerUnterminatedString(t *testing.T) {
	for _, src := range []string{`poll a user b password "secret`, "poll a\nuser 'b"} {
		_, err := lexAll(src)
		if err == nil || !strings.Contains(err.msg, "unterminated string") {
			t.Errorf("%q: want an unterminated-string error, got %v", src, err)
		}
	}
	// A quote inside a bare word is only a character (file 03 of the corpus).
	if got, err := lexAll(`set postmaster "a@b""`); err != nil || got != `set postmaster s:"a@b""` {
		t.Errorf(`got %q, %v`, got, err)
	}
}
