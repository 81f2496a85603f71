package main

import (
	"fmt"
	"os"

	"golang.org/x/term"
)

// promptPassword asks on the terminal without echo. It is used only when stdin and
// stderr are terminals; under cron a missing secret is an error naming the account.
func promptPassword(question string) (string, error) {
	fmt.Fprint(os.Stderr, question)
	b, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", fmt.Errorf("read password from the terminal: %w", err)
	}
	return string(b), nil
}
