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
)

var version = "dev" // set with -ldflags "-X main.version=..."

func main() {
	os.Exit(profiled(dispatch)(os.Args[1:], os.Stdout, os.Stderr))
}

// dispatch is main without os.Exit, for tests.
func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if cmd, ok := subcommands[args[0]]; ok {
			return cmd.run(args[1:], stdout, stderr)
		}
	}
	return fetchCommand(args, stdout, stderr)
}

type subcommand struct {
	run     func(args []string, stdout, stderr io.Writer) int
	summary string
}

var subcommands map[string]subcommand

func init() {
	subcommands = map[string]subcommand{
		"check":      {checkCommand, "validate the configuration and print every problem"},
		"trust-host": {trustHostCommand, "show an SSH tunnel's host key and add it to known_hosts"},
		"version":    {versionCommand, "print the version"},
		"help":       {helpCommand, "show this help"},
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
