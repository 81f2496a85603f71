package imap

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
)

// scripted is a minimal IMAP server for selectFolder: it answers LOGIN, CAPABILITY,
// EXAMINE, SELECT and LOGOUT, announcing UIDNEXT or not, and records the commands.
type scripted struct {
	uidnext bool
	mu      sync.Mutex
	cmds    []string
}

func (sc *scripted) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	fmt.Fprint(conn, "* OK [CAPABILITY IMAP4rev1 UIDPLUS] ready\r\n")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		tag, cmd, _ := strings.Cut(strings.TrimSpace(line), " ")
		verb, _, _ := strings.Cut(cmd, " ")
		sc.mu.Lock()
		sc.cmds = append(sc.cmds, strings.ToUpper(verb))
		sc.mu.Unlock()
		switch strings.ToUpper(verb) {
		case "CAPABILITY":
			fmt.Fprint(conn, "* CAPABILITY IMAP4rev1 UIDPLUS\r\n")
		case "EXAMINE", "SELECT":
			fmt.Fprint(conn, "* 2 EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\n")
			if sc.uidnext {
				fmt.Fprint(conn, "* OK [UIDNEXT 3] ok\r\n")
			}
		case "LIST":
			fmt.Fprint(conn, "* LIST (\\Noselect) \".\" \"\"\r\n")
		case "LOGOUT":
			fmt.Fprintf(conn, "* BYE bye\r\n%s OK done\r\n", tag)
			return
		}
		fmt.Fprintf(conn, "%s OK done\r\n", tag)
	}
}

func (sc *scripted) commands() string {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return strings.Join(sc.cmds, " ")
}

// TestKeepModeSelectsWithoutUIDNEXT: in keep mode a folder is EXAMINEd, and SELECTed
// as well when the server announces no UIDNEXT (Courier, which otherwise renumbers a
// never-selected folder in every read-only session).
func TestKeepModeSelectsWithoutUIDNEXT(t *testing.T) {
	for _, tt := range []struct {
		uidnext bool
		keep    bool
		want    string
	}{
		{uidnext: true, keep: true, want: "EXAMINE"},
		{uidnext: false, keep: true, want: "EXAMINE SELECT"},
		{uidnext: false, keep: false, want: "SELECT"},
	} {
		sc := &scripted{uidnext: tt.uidnext}
		client, server := net.Pipe()
		go sc.serve(server)
		src, err := New(context.Background(), client, Options{PlaintextOK: true, User: "alex", Auth: "login",
			Keep: tt.keep, Password: func(context.Context) (string, error) { return "secret", nil }})
		if err != nil {
			t.Fatal(err)
		}
		mb, err := src.Open(context.Background(), "INBOX")
		if err != nil {
			t.Fatal(err)
		}
		if mb.Validity() != 42 {
			t.Errorf("Validity() = %d, want 42", mb.Validity())
		}
		src.Close()
		var opened []string
		for _, c := range strings.Fields(sc.commands()) {
			if c == "EXAMINE" || c == "SELECT" {
				opened = append(opened, c)
			}
		}
		if got := strings.Join(opened, " "); got != tt.want {
			t.Errorf("uidnext %v, keep %v: opened with %q, want %q", tt.uidnext, tt.keep, got, tt.want)
		}
	}
}
