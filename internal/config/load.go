package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// maxFileSize bounds what Load reads: a configuration is a few kilobytes.
const maxFileSize = 1 << 20

// Load reads, decodes and validates the configuration file at path. Password commands
// are not run and secret files are not read, only checked.
//
// On failure the error wraps a *Problems listing everything wrong with the file. It is
// classified fail.Insecure if a password is exposed to other users (the config file or a
// password_file is readable by group or others), else fail.Config.
func Load(path string) (*Config, error) {
	src, info, err := readFile(path)
	if err != nil {
		return nil, fail.Wrap(fail.Config, &Problems{List: []Problem{readProblem(path, err)}})
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fail.Wrap(fail.Config, fmt.Errorf("config %s: %w", path, err))
	}
	raw := map[string]any{}
	md, err := toml.Decode(src, &raw)
	if err != nil {
		return nil, fail.Wrap(fail.Config, &Problems{List: []Problem{syntaxProblem(path, err)}})
	}
	d := &decoder{c: &collector{file: path, ix: indexLines(src)}, dir: filepath.Dir(abs), md: md}
	cfg := d.config(raw)
	cfg.File = abs
	d.checkFileMode(cfg, abs, info)
	return d.result(cfg)
}

func readFile(path string) (string, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", nil, err
	}
	if info.IsDir() {
		return "", nil, errors.New("is a directory, not a configuration file")
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return "", nil, err
	}
	if len(b) > maxFileSize {
		return "", nil, fmt.Errorf("is larger than %d bytes; is it really the configuration?", maxFileSize)
	}
	return string(b), info, nil
}

func readProblem(path string, err error) Problem {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	p := Problem{File: path, Msg: "cannot read the configuration: " + err.Error()}
	if errors.Is(err, fs.ErrNotExist) {
		p.Hint = "create it; config.example.toml shows every key"
	}
	return p
}

// syntaxProblem turns a TOML parse error into a Problem with line and column.
func syntaxProblem(file string, err error) Problem {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return Problem{File: file, Msg: err.Error()}
	}
	msg := strings.TrimSuffix(pe.Message, ".")
	if msg != "" {
		msg = strings.ToLower(msg[:1]) + msg[1:]
	}
	return Problem{File: file, Line: pe.Position.Line, Col: pe.Position.Col,
		Msg: "TOML syntax error: " + msg}
}

// result returns cfg, or the problems found, classified.
func (d *decoder) result(cfg *Config) (*Config, error) {
	ps := d.c.problems()
	switch {
	case ps == nil:
		return cfg, nil
	case d.insecure:
		return nil, fail.Wrap(fail.Insecure, ps)
	}
	return nil, fail.Wrap(fail.Config, ps)
}

// decoder turns the decoded TOML document into a Config.
type decoder struct {
	c        *collector
	dir      string // directory of the config file, absolute
	md       toml.MetaData
	insecure bool // a problem exposes a secret
}

func (d *decoder) table(path []string, m map[string]any) *table {
	return &table{c: d.c, path: path, m: m, dir: d.dir}
}

var topKeys = []string{"state_dir", "poll_interval", "max_parallel", "timeout", "hostname",
	"account", "tunnel"}

func (d *decoder) config(raw map[string]any) *Config {
	t := d.table(nil, raw)
	t.unknownKeys(topKeys, func(k string) string {
		if slices.Contains(accountKeys, k) {
			return "account settings go in an [account.NAME] table, e.g. [account.work]"
		}
		return ""
	})
	cfg := &Config{
		StateDir:     d.stateDir(t),
		PollInterval: t.duration("poll_interval", 5*time.Minute),
		MaxParallel:  int(t.integer("max_parallel", 4, 1, 1<<16)),
		Timeout:      t.duration("timeout", 60*time.Second),
		Hostname:     d.hostname(t),
	}
	cfg.Tunnels = d.tunnels(t, cfg)
	cfg.Accounts = d.accounts(t, cfg)
	return cfg
}

func (d *decoder) stateDir(t *table) string {
	if t.has("state_dir") {
		return t.filePath("state_dir")
	}
	dir, err := DefaultStateDir()
	if err != nil {
		d.c.at(nil, `set state_dir = "/path/to/state"`, "cannot find the default state directory: %v", err)
	}
	return dir
}

func (d *decoder) hostname(t *table) string {
	const hint = `write the machine's name, e.g. hostname = "mail.example.org"`
	if s, ok := t.str("hostname", hint); ok {
		if s == "" || strings.ContainsFunc(s, isSpaceOrControl) {
			t.problem("hostname", hint, "%s is not a host name", tomlQuote(s))
		}
		return s
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }
