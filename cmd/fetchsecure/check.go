package main

import (
	"fmt"
	"io"

	"github.com/fetchsecure/fetchsecure/internal/config"
)

// checkCommand is `fetchsecure check`: load the configuration, print every problem
// with file:line, or a summary of what would be done.
func checkCommand(args []string, stdout, stderr io.Writer) int {
	var g globals
	if _, code, ok := parse("check", args, stderr, &g, false, nil); !ok {
		return code
	}
	cfg, err := config.Load(g.config)
	if err != nil {
		return report(stderr, "", err)
	}
	if g.quiet {
		return 0
	}
	fmt.Fprintf(stdout, "%s: OK\n", cfg.File)
	for _, a := range cfg.Accounts {
		fmt.Fprintf(stdout, "  %s\n", describe(a))
	}
	if g.verbose {
		fmt.Fprint(stdout, "\n"+cfg.Redacted())
	}
	return 0
}

// describe says in one line what fetchsecure will do with an account.
func describe(a *config.Account) string {
	via := fmt.Sprintf("%s over %s", a.Protocol, tlsWords(a.TLS))
	switch {
	case a.Tunnel != nil:
		via += " through SSH tunnel " + a.Tunnel.Name
	case len(a.TunnelCommand) > 0:
		via += " through command " + a.TunnelCommand[0]
	}
	what := "keep on the server"
	if !a.Keep {
		what = "delete from the server once delivered"
	}
	off := ""
	if !a.Enabled {
		off = " (disabled)"
	}
	return fmt.Sprintf("%s%s: %s@%s:%d, %s, folders %q → %s %s; %s", a.Name, off, a.User, a.Host,
		a.Port, via, a.Folders, a.Target.Kind, targetWhere(a.Target), what)
}

func tlsWords(m config.TLSMode) string {
	switch m {
	case config.TLS:
		return "TLS"
	case config.StartTLS:
		return "STARTTLS"
	}
	return "no TLS"
}

func targetWhere(t config.Target) string {
	switch {
	case t.Path != "":
		return t.Path
	case len(t.Argv) > 0:
		return fmt.Sprintf("%q", t.Argv)
	}
	return t.Address
}
