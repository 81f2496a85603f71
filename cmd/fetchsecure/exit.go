package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// exitCodes is the one table from error kinds to exit codes. README.md and --help show
// it; cron users test for these numbers, so they never change meaning.
var exitCodes = []struct {
	code int
	kind fail.Kind
	what string
}{
	{1, fail.Internal, "internal error (a bug: please report it)"},
	{2, fail.Usage, "usage error: bad command line"},
	{3, fail.Config, "configuration error (each problem is printed with file:line)"},
	{4, fail.Insecure, "a file holding secrets is readable by others (chmod 600 it)"},
	{5, fail.Auth, "authentication failed"},
	{6, fail.Security, "security check failed: certificate, STARTTLS, SSH host key or plaintext policy"},
	{7, fail.Temporary, "temporary failure (network, server busy): try again later"},
	{8, fail.Locked, "another fetchsecure is using the same state directory"},
	{10, fail.Delivery, "a message could not be delivered; it stays on the server"},
	{11, fail.Protocol, "the server broke the protocol"},
}

// exitMixed is the code when failed accounts failed for different reasons.
const exitMixed = 9

func exitCode(k fail.Kind) int {
	for _, e := range exitCodes {
		if e.kind == k {
			return e.code
		}
	}
	return 1
}

// exitTable renders the table for --help and the README.
func exitTable() string {
	var b strings.Builder
	b.WriteString("  0  success: every account was fetched (new mail or not)\n")
	for _, e := range exitCodes {
		fmt.Fprintf(&b, "  %-2d %s\n", e.code, e.what)
		if e.code == 8 {
			fmt.Fprintf(&b, "  %-2d several accounts failed for different reasons\n", exitMixed)
		}
	}
	return b.String()
}

// report prints an error with its hint and returns its exit code.
func report(w io.Writer, prefix string, err error) int {
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(w, "fetchsecure: %s%s\n", prefix, line)
	}
	if h := fail.HintOf(err); h != "" {
		fmt.Fprintf(w, "fetchsecure: %shint: %s\n", prefix, h)
	}
	return exitCode(fail.KindOf(err))
}
