package tunnel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// passphrase fetches key passphrases for one tunnel: from passphrase_command (run once,
// its answer reused for every encrypted key), else by asking the user.
type passphrase struct {
	o      *SSHOptions
	prompt func(string) (string, error)
	cached []byte
}

// get returns the passphrase for the key in path and where it came from, for messages.
func (p *passphrase) get(ctx context.Context, path string) ([]byte, string, error) {
	switch {
	case len(p.o.PassphraseCommand) > 0:
		if p.cached == nil {
			secret, err := runPassphraseCommand(ctx, p.o)
			if err != nil {
				return nil, "", err
			}
			p.cached = secret
		}
		return bytes.Clone(p.cached), "passphrase_command", nil
	case p.prompt != nil:
		s, err := p.prompt(fmt.Sprintf("Passphrase for SSH key %s: ", path))
		if err != nil {
			return nil, "", fmt.Errorf("%s: passphrase for %s: %w", p.o.hop(), path, err)
		}
		return []byte(s), "the prompt", nil
	}
	return nil, "", fail.Hint(fail.Config, fmt.Errorf("%s: identity_file %s: %w", p.o.hop(), path, errNoPassphrase),
		"set passphrase_command = [\"...\"] in [tunnel."+p.o.Name+"], load the key into ssh-agent, or run interactively")
}

// runPassphraseCommand runs passphrase_command without a shell and returns the first line
// of its output. Its output is never shown; its stderr is, as it may say what went wrong.
func runPassphraseCommand(ctx context.Context, o *SSHOptions) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout())
	defer cancel()
	argv := o.PassphraseCommand
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stderr tail
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("no answer within %s", seconds(o.timeout()))
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%s%s", ee.ProcessState, stderr.suffix())
		}
		return nil, fail.Wrap(fail.Config, fmt.Errorf("%s: passphrase_command %s: %v", o.hop(), argv[0], err))
	}
	line, _, _ := bytes.Cut(out, []byte("\n"))
	secret := bytes.Clone(bytes.TrimSuffix(line, []byte("\r")))
	clear(out)
	return secret, nil
}
