package manpage

import (
	"strings"
)

// Command renders fetchsecure(1). help is the output of `fetchsecure help` with the
// default configuration path written generically; its Usage, Commands, Flags and Exit
// codes blocks become SYNOPSIS, COMMANDS, OPTIONS and EXIT STATUS.
func Command(help string) string {
	blocks := parseHelp(help)
	p := newPage("fetchsecure", 1, "User Commands")
	p.section("name")
	p.b.WriteString(`fetchsecure \- fetch mail from IMAP and POP3 servers securely` + "\n")
	p.section("synopsis")
	for _, e := range block(blocks, "Usage") {
		p.b.WriteString(".br\n" + `\fB` + inline(e.term) + `\fR` + "\n")
	}
	p.section("description")
	for _, para := range description {
		p.para(para)
	}
	p.section("commands")
	for _, e := range block(blocks, "Commands") {
		p.item(e.term, e.text)
	}
	p.section("options")
	for _, e := range block(blocks, "Flags") {
		p.item(e.term, e.text)
	}
	for _, s := range prose {
		p.section(s.title)
		for _, it := range s.items {
			if it.term == "" {
				p.para(it.text)
			} else {
				p.item(it.term, it.text)
			}
		}
	}
	p.section("exit status")
	for _, e := range block(blocks, "Exit codes") {
		p.item(e.term, e.text)
	}
	p.section("see also")
	p.b.WriteString(`\fBfetchsecure.toml\fR(5), \fBsystemd.service\fR(5), \fBsystemd.timer\fR(5), \fBcrontab\fR(5), \fBfetchmail\fR(1)` + "\n")
	return p.String()
}

// Config renders fetchsecure.toml(5) from config.example.toml: its introduction, a
// reference entry for every key (with the example value and its comment), and the
// whole example.
func Config(example string) string {
	intro, keys := parseExample(example)
	p := newPage("fetchsecure.toml", 5, "File Formats")
	p.section("name")
	p.b.WriteString(`fetchsecure.toml \- configuration of fetchsecure` + "\n")
	p.section("synopsis")
	p.b.WriteString(`\fI~/.config/fetchsecure/config.toml\fR` + "\n")
	p.section("description")
	for _, para := range strings.Split(intro, "\n\n") {
		p.para(strings.ReplaceAll(para, "\n", " "))
	}
	for _, t := range []struct{ table, title string }{
		{"", "top-level keys"}, {"account", "account keys: [account.NAME]"}, {"tunnel", "tunnel keys: [tunnel.NAME]"},
	} {
		p.section(t.title)
		for _, k := range keys {
			if k.table == t.table {
				p.item(k.name+" = "+k.value, k.doc)
			}
		}
	}
	p.section("example")
	p.para("config.example.toml, as shipped:")
	p.verbatim(example)
	p.section("see also")
	p.b.WriteString(`\fBfetchsecure\fR(1)` + "\n")
	return p.String()
}

// description is fetchsecure(1)'s DESCRIPTION.
var description = []string{
	"fetchsecure moves mail from IMAP and POP3 servers to a maildir, an mbox file, a " +
		"mail delivery agent (procmail, maildrop) or an LMTP or SMTP server. It connects " +
		"over TLS with verified certificates, or through an SSH tunnel of its own, and " +
		"removes a message from the server (keep = false) only after its delivery is " +
		"durable and recorded: no crash, kill or power cut loses or duplicates a message.",
	"The configuration is a TOML file, described in fetchsecure.toml(5); " +
		"`fetchsecure check` validates it and prints every problem with its line.",
	"With --once, fetchsecure fetches every enabled account once and exits: for cron, " +
		"systemd timers and interactive use. On a terminal it shows each folder's progress. " +
		"Without --once it keeps running in the foreground as a daemon (it never forks).",
}

type proseSection struct {
	title string
	items []entry // term "" is a paragraph
}

// prose is the part of fetchsecure(1) that --help has no room for.
var prose = []proseSection{
	{"running in the background", []entry{
		{"", "The daemon fetches each account every poll_interval (5 minutes by default, " +
			"settable per account) and at most max_parallel accounts at the same time. " +
			"A failed fetch is retried after 15 seconds, then after delays that double up " +
			"to eight poll intervals (30 minutes at most, never less than one poll interval), " +
			"shortened by a random fifth; failures only the user can fix (a refused " +
			"password, a changed certificate) start at a quarter of that cap. One account's " +
			"trouble never delays another."},
		{"", "For IMAP accounts with idle = true (the default) on a server offering IDLE " +
			"(RFC 2177), every folder is watched on a connection of its own, and new mail " +
			"is fetched within seconds. IDLE needs one connection per folder plus one for " +
			"fetching: the first max_connections - 1 folders (4 by default) are watched, " +
			"the others polled. IDLE is re-issued before idle_timeout (29 minutes at most), " +
			"lost connections are re-established at once and then with growing delays, and " +
			"after the machine was suspended every connection is re-established and every " +
			"account polled."},
		{"", "`fetchsecure --once` while a daemon runs on the same state directory does not " +
			"fetch: it exits with status 8 and says so. Use `fetchsecure wake` to make the " +
			"daemon poll now. A daemon started while a --once run holds the state waits up " +
			"to a minute for it."},
		{"", "`fetchsecure status` shows, per account and folder, the last success, the " +
			"last error, the messages fetched and the next poll, while the daemon runs or " +
			"after the last --once run. With notify = true the daemon announces new mail on " +
			"the desktop (notify_command, else notify-send, else gdbus)."},
	}},
	{"signals", []entry{
		{"SIGTERM, SIGINT", "Stop within seconds. A message being fetched is abandoned " +
			"safely and fetched again next time; what was delivered is recorded. A second " +
			"signal exits at once, which is also safe."},
		{"SIGHUP", "Reload the configuration. Accounts whose settings changed restart " +
			"after their fetch under way; the others are not disturbed. A configuration " +
			"with errors is reported and the running one kept."},
		{"SIGUSR1", "Poll every account now, whatever its schedule or backoff " +
			"(`fetchsecure wake` sends it)."},
	}},
	{"logging", []entry{
		{"", "Messages go to standard error: plain lines on a terminal (with the time " +
			"for the daemon) and for cron's mail; with the journal's priority prefixes " +
			"when systemd connects standard error to the journal ($JOURNAL_STREAM); one " +
			"JSON object per line with --log-format json; to syslog, facility mail, with " +
			"--syslog. The daemon logs each delivery and failure; --once logs only " +
			"problems and prints a summary line per folder. Secrets are never logged."},
	}},
	{"environment", []entry{
		{"XDG_CONFIG_HOME", "The default configuration is $XDG_CONFIG_HOME/fetchsecure/config.toml (~/.config/fetchsecure/config.toml)."},
		{"XDG_STATE_HOME", "The default state_dir is $XDG_STATE_HOME/fetchsecure (~/.local/state/fetchsecure)."},
		{"NOTIFY_SOCKET, WATCHDOG_USEC", "Set by systemd for Type=notify services: the daemon reports READY=1, " +
			"RELOADING=1, STOPPING=1, a STATUS= line, and WATCHDOG=1 when WatchdogSec= is set."},
		{"JOURNAL_STREAM", "Set by systemd when standard error goes to the journal."},
	}},
	{"files", []entry{
		{"~/.config/fetchsecure/config.toml", "The configuration; see fetchsecure.toml(5)."},
		{"$state_dir/accounts/NAME/", "The durable state of each account: what was delivered, what waits for deletion."},
		{"$state_dir/lock", "Held by the running fetchsecure; it holds its PID."},
		{"$state_dir/status.json", "What `fetchsecure status` shows, rewritten as things happen."},
		{"contrib/systemd/", "In the source: fetchsecure.service (the daemon) and fetchsecure-once.service with fetchsecure.timer, installed as systemd user units by `make install`."},
	}},
}
