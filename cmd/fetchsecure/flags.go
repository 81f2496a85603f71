package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"

	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/trace"
)

// globals are the flags every command shares.
type globals struct {
	config    string
	verbose   bool
	quiet     bool
	logFormat string
	syslog    bool
	once      bool
}

func (g *globals) register(fs *flag.FlagSet, withOnce bool) {
	def, _ := config.DefaultPath()
	fs.StringVar(&g.config, "config", def, "configuration `file`")
	fs.StringVar(&g.config, "c", def, "configuration `file` (short for --config)")
	fs.BoolVar(&g.verbose, "v", false, "verbose: log protocol steps")
	fs.BoolVar(&g.verbose, "verbose", false, "verbose: log protocol steps")
	fs.BoolVar(&g.quiet, "q", false, "quiet: print only errors")
	fs.BoolVar(&g.quiet, "quiet", false, "quiet: print only errors")
	fs.StringVar(&g.logFormat, "log-format", "", "log `format`: text, json or journal (default: journal under systemd, else text)")
	fs.BoolVar(&g.syslog, "syslog", false, "log to syslog (facility mail) instead of standard error")
	if withOnce {
		fs.BoolVar(&g.once, "once", false, "fetch every account once and exit (for cron and timers)")
	}
}

// parse parses args for a command; ok is false when the caller should exit with code.
func parse(name string, args []string, stderr io.Writer, g *globals, withOnce bool, extra func(*flag.FlagSet)) (rest []string, code int, ok bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs, withOnce)
	if extra != nil {
		extra(fs)
	}
	fs.Usage = func() { fmt.Fprint(stderr, usage()) }
	// Flags may come after positional arguments too (`import-fetchmailrc FILE -o OUT`):
	// parse, keep the first positional argument, and go on with the rest.
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return nil, 0, false
			}
			return nil, 2, false
		}
		args = fs.Args()
		if len(args) == 0 || args[0] == "--" {
			return append(rest, args...), 0, true
		}
		rest, args = append(rest, args[0]), args[1:]
	}
}

func (g *globals) logger(stderr io.Writer) (*slog.Logger, error) {
	return g.newLogger(stderr, slog.LevelWarn, false)
}

// newLogger logs at level (-v: debug, -q: errors only) to syslog with --syslog, else
// to stderr: in the journal's format when systemd connected stderr to the journal
// and no --log-format was given.
func (g *globals) newLogger(stderr io.Writer, level slog.Level, stamp bool) (*slog.Logger, error) {
	f, err := trace.ParseFormat(g.logFormat)
	if err != nil {
		return nil, err
	}
	switch {
	case g.verbose:
		level = slog.LevelDebug
	case g.quiet:
		level = slog.LevelError
	}
	if g.syslog {
		return trace.NewSyslog(level)
	}
	file, _ := stderr.(*os.File)
	if g.logFormat == "" && trace.UnderJournal(file) {
		f = trace.Journal
	}
	return trace.NewWith(stderr, trace.Options{Format: f, Level: level, Time: stamp && f == trace.Human}), nil
}

func usage() string {
	var cmds []string
	for name, c := range subcommands {
		cmds = append(cmds, fmt.Sprintf("  %-18s %s", name, c.summary))
	}
	sort.Strings(cmds)
	return fmt.Sprintf(`Usage:
  fetchsecure --once [-c FILE] [-v|-q]   fetch every account once and exit
  fetchsecure [-c FILE] [-v|-q]          keep running: poll, and IDLE where the server can
  fetchsecure COMMAND [flags]
  fetchsecure --version                  print the version (as the version command)

Commands:
%s

Flags:
  -c, --config FILE    configuration (default %s)
  -v, --verbose        log protocol steps (never passwords)
  -q, --quiet          print only errors
      --log-format F   text, json or journal (default: journal under systemd, else text)
      --syslog         log to syslog (facility mail) instead of standard error
      --once           fetch once and exit

Exit codes:
%s`, strings.Join(cmds, "\n"), defaultPath(), exitTable())
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func defaultPath() string {
	p, err := config.DefaultPath()
	if err != nil {
		return "$XDG_CONFIG_HOME/fetchsecure/config.toml"
	}
	return p
}
