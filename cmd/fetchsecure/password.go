package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/secret"
)

// stdin is where `password set --stdin` reads (a variable for tests).
var stdin io.Reader = os.Stdin

// passwordCommand is `fetchsecure password set|delete ACCOUNT`: the OS keyring item
// that an account with password_keyring = true reads (service "fetchsecure", key the
// account's name).
func passwordCommand(args []string, stdout, stderr io.Writer) int {
	var g globals
	var fromStdin bool
	words, code, ok := parseMixed("password", args, stderr, &g, func(fs *flag.FlagSet) {
		fs.BoolVar(&fromStdin, "stdin", false, "read the password from the first line of standard input")
	})
	if !ok {
		return code
	}
	const use = "usage: fetchsecure password set [--stdin] ACCOUNT | fetchsecure password delete ACCOUNT"
	if len(words) != 2 || (words[0] != "set" && words[0] != "delete") {
		return report(stderr, "", fail.Errorf(fail.Usage, use))
	}
	a, err := loadAccount(g.config, words[1])
	if err != nil {
		return report(stderr, "", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if words[0] == "delete" {
		err = deletePassword(ctx, a, stdout)
	} else {
		err = setPassword(ctx, a, fromStdin, stdout)
	}
	if err != nil {
		return report(stderr, "", err)
	}
	return 0
}

func setPassword(ctx context.Context, a *config.Account, fromStdin bool, stdout io.Writer) error {
	pw, err := readNewPassword(a, fromStdin)
	if err != nil {
		return err
	}
	if err := secret.KeyringSet(ctx, secret.KeyringService, a.Name, pw); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Stored the password of account %s in the keyring (service %q, key %q).\n",
		a.Name, secret.KeyringService, a.Name)
	if !a.Password.Keyring {
		fmt.Fprintf(stdout, "Note: account %s does not read it yet: add password_keyring = true to [account.%s].\n",
			a.Name, a.Name)
	}
	return nil
}

func deletePassword(ctx context.Context, a *config.Account, stdout io.Writer) error {
	had, err := secret.KeyringDelete(ctx, secret.KeyringService, a.Name)
	switch {
	case err != nil:
		return err
	case had:
		fmt.Fprintf(stdout, "Deleted the password of account %s from the keyring.\n", a.Name)
	default:
		fmt.Fprintf(stdout, "The keyring held no password for account %s.\n", a.Name)
	}
	return nil
}

// readNewPassword reads the password from standard input's first line, or asks twice
// on the terminal without echo.
func readNewPassword(a *config.Account, fromStdin bool) (secret.Secret, error) {
	var pw string
	switch {
	case fromStdin:
		line, err := bufio.NewReaderSize(io.LimitReader(stdin, 64<<10), 4096).ReadString('\n')
		if err != nil && err != io.EOF {
			return "", fail.Wrap(fail.Usage, fmt.Errorf("read standard input: %w", err))
		}
		pw = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	case interactiveStdin():
		var err error
		if pw, err = askTwice(fmt.Sprintf("Password for %s@%s (account %s): ", a.User, a.Host, a.Name)); err != nil {
			return "", err
		}
	default:
		return "", fail.Errorf(fail.Usage, "standard input is not a terminal: use --stdin to read the password from it")
	}
	if pw == "" || strings.ContainsAny(pw, "\r\n\x00") {
		return "", fail.Errorf(fail.Usage, "the password is empty or holds a line break or NUL; nothing was stored")
	}
	return secret.Secret(pw), nil
}

// interactiveStdin reports whether stdin is a terminal to ask on (a test's reader is
// not).
func interactiveStdin() bool {
	f, ok := stdin.(*os.File)
	return ok && isTerminal(f) && isTerminal(os.Stderr)
}

func askTwice(q string) (string, error) {
	first, err := promptPassword(q)
	if err != nil {
		return "", err
	}
	second, err := promptPassword("Again, to check: ")
	if err != nil {
		return "", err
	}
	if first != second {
		return "", fail.Errorf(fail.Usage, "the two passwords differ; nothing was stored")
	}
	return first, nil
}

// loadAccount loads the configuration and returns the account called name.
func loadAccount(file, name string) (*config.Account, error) {
	cfg, err := config.Load(file)
	if err != nil {
		return nil, err
	}
	for _, a := range cfg.Accounts {
		if a.Name == name {
			return a, nil
		}
	}
	var names []string
	for _, a := range cfg.Accounts {
		names = append(names, a.Name)
	}
	return nil, fail.Hint(fail.Usage, fmt.Errorf("no [account.%s] in %s", name, cfg.File),
		"the accounts are: "+strings.Join(names, ", "))
}

// parseMixed parses flags that may come before, between or after the words of a
// command line ("password set work --stdin") and returns the words.
func parseMixed(name string, args []string, stderr io.Writer, g *globals, extra func(*flag.FlagSet)) ([]string, int, bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs, false)
	if extra != nil {
		extra(fs)
	}
	fs.Usage = func() { fmt.Fprint(stderr, usage()) }
	var words []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, 0, false
			}
			return nil, 2, false
		}
		if fs.NArg() == 0 {
			return words, 0, true
		}
		words, args = append(words, fs.Arg(0)), fs.Args()[1:]
	}
}
