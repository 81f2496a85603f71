// Command fetchsecure fetches mail from IMAP and POP3 servers over verified TLS or an
// in-process SSH tunnel and delivers it to a maildir, an MDA, an mbox or an LMTP/SMTP
// server, removing nothing from the server before the delivery is durable.
//
// This file only dispatches; each subcommand lives in a file of its own, and the work
// is done by internal/run (fetching) and internal/schedule (the daemon).
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

var version = "dev" // set with -ldflags "-X main.version=..."

func main() {
	governMemory()
	os.Exit(profiled(dispatch)(os.Args[1:], os.Stdout, os.Stderr))
}

// dispatch is main without os.Exit, for tests.
func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "--version" || args[0] == "-version" || args[0] == "-V") {
		return versionCommand(nil, stdout, stderr)
	}
	if i := commandIndex(args); i >= 0 {
		rest := append(append([]string(nil), args[:i]...), args[i+1:]...)
		return subcommands[args[i]].run(rest, stdout, stderr)
	}
	return fetchCommand(args, stdout, stderr)
}

// commandIndex finds the subcommand among args, so that global flags may come before
// it (`fetchsecure -c mail.toml check`) as well as after. It returns -1 if there is none.
func commandIndex(args []string) int {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return -1
		case a == "-c" || a == "--config" || a == "-config" || a == "--log-format" || a == "-log-format":
			i++ // the flag's value
		case strings.HasPrefix(a, "-"):
		default:
			if _, ok := subcommands[a]; ok {
				return i
			}
			return -1
		}
	}
	return -1
}

type subcommand struct {
	run     func(args []string, stdout, stderr io.Writer) int
	summary string
}

var subcommands map[string]subcommand

func init() {
	subcommands = map[string]subcommand{
		"check":              {checkCommand, "validate the configuration and print every problem"},
		"trust-host":         {trustHostCommand, "show an SSH tunnel's host key and add it to known_hosts"},
		"import-fetchmailrc": {importCommand, "translate a .fetchmailrc into a fetchsecure config"},
		"seed":               {seedCommand, "mark the mail now on the servers as already delivered"},
		"status":             {statusCommand, "show each account's last fetch, last error and next poll (--json)"},
		"wake":               {wakeCommand, "make the running daemon poll every account now"},
		"password":           {passwordCommand, "store (set) or remove (delete) an account's password in the OS keyring"},
		"oauth":              {oauthCommand, "sign in to an OAuth2 account once (login), or forget its tokens (logout)"},
		"version":            {versionCommand, "print the version"},
		"help":               {helpCommand, "show this help"},
	}
}

func versionCommand(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stdout, "fetchsecure", version)
	return 0
}

func helpCommand(args []string, stdout, stderr io.Writer) int {
	fmt.Fprint(stdout, usage())
	return 0
}
