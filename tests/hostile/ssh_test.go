package hostile

import (
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/testlib/fakeimap"
	"github.com/fetchsecure/fetchsecure/internal/testlib/fakepop3"
)

// sshCases reach the fake servers through a real OpenSSH server (tunnel = "bastion",
// tls = "none" inside it): SSH channels have no deadlines, so only the watchdog of
// package tunnel can end a stall, and a cut must still deliver nothing truncated.
var sshCases = []hcase{
	{name: "ssh-imap-literal-stall", ssh: true, tls: "none", extra: []string{stall},
		runs: []want{refused(fail.Temporary, "no data"), ok()},
		imap: render(2, 1, func(s *fakeimap.Session, seq int, m *fakeimap.Message) {
			s.Writef("* %d FETCH (UID %d BODY[] {%d}\r\n%s", seq, m.UID, len(m.Data), m.Data[:len(m.Data)/2])
			s.Stall()
		}), delivered: "1 2 3", remaining: "-"},
	{name: "ssh-imap-literal-larger-than-sent", ssh: true, tls: "none", runs: []want{refused(fail.Temporary), ok()},
		imap: render(1, 1, func(s *fakeimap.Session, seq int, m *fakeimap.Message) {
			s.Writef("* %d FETCH (UID %d BODY[] {%d}\r\n%s", seq, m.UID, 1<<30, m.Data)
			s.CutAfter(0)
		}), delivered: "1 2 3", remaining: "-"},
	{name: "ssh-pop3-retr-cut", ssh: true, tls: "none", proto: "pop3", runs: []want{refused(fail.Temporary), ok()},
		msgs: [][]byte{msg(1, 3000), msg(2, 3000), msg(3, 3000)},
		pop3: pop3Hook(pop3Session(1, fakepop3.CutDuring("RETR 2", 1500))), delivered: "uid-1 uid-2 uid-3", remaining: "-"},
}

func TestSSH(t *testing.T) {
	for _, c := range sshCases {
		runCase(t, c)
	}
}
