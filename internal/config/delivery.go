package config

import (
	"io/fs"
	"slices"
	"strings"
)

// folders reads the IMAP folders to fetch; POP3 has only INBOX.
func (d *decoder) folders(t *table, a *Account, protoOK bool) {
	if protoOK && a.Protocol == POP3 && t.has("folders") {
		t.problem("folders", "remove it", "POP3 has a single mailbox, so folders cannot be chosen")
	}
	a.Folders = t.strings("folders", false, `write folders = ["INBOX", "Lists/go"]`)
	for i, f := range a.Folders {
		if strings.ContainsFunc(f, isControl) {
			t.problem("folders", "", "folder %s contains a control character", tomlQuote(f))
		} else if slices.Contains(a.Folders[:i], f) {
			t.problem("folders", "remove the duplicate", "folder %s is listed twice", tomlQuote(f))
		}
	}
	if a.Folders == nil {
		a.Folders = []string{"INBOX"}
	}
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }

// delivery reads where messages go.
func (d *decoder) delivery(t *table, a *Account) {
	a.Keep = t.boolean("keep", true)
	a.DeliverTo, _ = t.str("deliver_to", `write deliver_to = "me@example.org"`)
	if t.has("deliver_to") && (strings.TrimSpace(a.DeliverTo) == "" || strings.ContainsFunc(a.DeliverTo, isControl)) {
		t.problem("deliver_to", `write deliver_to = "me@example.org"`, "%s is not an address", tomlQuote(a.DeliverTo))
	}
	a.AddReceived = t.boolean("add_received", true)
	a.Dedupe = Dedupe(t.enum("dedupe", dedupeEnum, int(DedupeOff)))
	first := d.onlyOne(t, "delivery target", targetNames)
	if first == "" {
		t.c.at(t.path, `add one of maildir = "~/Maildir", mda = ["/usr/bin/procmail"], mbox, lmtp or smtp`,
			"has no delivery target")
	} else {
		d.target(t, a, TargetKind(slices.Index(targetNames, first)))
	}
	a.MaildirFolders = t.boolean("maildir_folders", false)
	if a.MaildirFolders && first != "" && a.Target.Kind != Maildir {
		t.problem("maildir_folders", "remove it", "works only with a maildir target")
	}
}

// target reads the delivery target of kind k, the one set.
func (d *decoder) target(t *table, a *Account, k TargetKind) {
	a.Target.Kind = k
	key := k.String()
	switch k {
	case Maildir, Mbox:
		a.Target.Path = t.filePath(key)
	case MDA:
		a.Target.Argv = t.argv(key)
		if slices.ContainsFunc(a.Target.Argv, func(s string) bool { return strings.Contains(s, "%T") }) &&
			a.DeliverTo == "" {
			t.problem(key, `add deliver_to = "me@example.org"`, "uses %%T, but deliver_to is not set")
		}
	case LMTP:
		d.lmtp(t, a)
	case SMTP:
		if s, ok := t.str(key, `write smtp = "localhost:25"`); ok {
			a.Target.Network, a.Target.Address = "tcp", d.hostPort(t, key, s, 25)
		}
	}
	if (k == LMTP || k == SMTP) && !t.has("deliver_to") {
		t.problem("deliver_to", `add deliver_to = "me@example.org"`, "is required with %s (for RCPT TO)", key)
	}
}

func (d *decoder) lmtp(t *table, a *Account) {
	s, ok := t.str("lmtp", `write lmtp = "unix:/run/dovecot/lmtp" or "localhost:24"`)
	if !ok {
		return
	}
	if path, isUnix := strings.CutPrefix(s, "unix:"); isUnix {
		a.Target.Network, a.Target.Address = "unix", t.expand("lmtp", path)
		return
	}
	a.Target.Network, a.Target.Address = "tcp", d.hostPort(t, "lmtp", s, 0)
}

func (d *decoder) hostPort(t *table, k, s string, def int) string {
	hp, err := parseHostPort(s, def)
	if err != nil {
		hint := `write "host:port", e.g. "localhost:24", or "unix:/path/to/socket"`
		if k == "smtp" {
			hint = `write "host" or "host:port", e.g. "localhost:25"`
		}
		t.problem(k, hint, "%s %v", tomlQuote(s), err)
	}
	return hp
}

// readers says who besides the owner can read a file of this mode.
func readers(mode fs.FileMode) string {
	switch p := mode.Perm(); {
	case p&0o040 != 0 && p&0o004 != 0:
		return "group and others"
	case p&0o040 != 0:
		return "the file's group"
	}
	return "others"
}

func unwrapPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}
