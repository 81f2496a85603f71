// Package trace sets up fetchsecure's logging: plain lines for people on a terminal or
// reading cron mail, JSON for machines, and a journald-friendly form under systemd.
// Secrets never reach it: internal/secret values print as *** whatever the format.
package trace

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"slices"
	"strings"
	"sync"
)

// Format is a log format.
type Format int

const (
	Human   Format = iota // "fetchsecure: warning: msg (key=value ...)"
	JSON                  // one JSON object per line
	Journal               // "<4>msg key=value": syslog priority prefixes journald understands
)

// ParseFormat parses a --log-format value.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "", "text", "human":
		return Human, nil
	case "json":
		return JSON, nil
	case "journal", "journald":
		return Journal, nil
	}
	return Human, fmt.Errorf("unknown log format %q: use text, json or journal", s)
}

// New returns a logger writing to w.
func New(w io.Writer, f Format, level slog.Level) *slog.Logger {
	return NewWith(w, Options{Format: f, Level: level})
}

// Options configure a logger.
type Options struct {
	Format Format
	Level  slog.Level
	// Time starts Human lines with the local time: for a daemon running on a
	// terminal, which, unlike cron's mail and journald, adds no time of its own.
	Time bool
}

// NewWith returns a logger writing to w.
func NewWith(w io.Writer, o Options) *slog.Logger {
	if o.Format == JSON {
		return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: o.Level}))
	}
	return slog.New(&handler{w: w, journal: o.Format == Journal, stamp: o.Time, level: o.Level, mu: new(sync.Mutex)})
}

// handler prints one line per record, by default without a timestamp (cron's mail,
// journald and syslog each add their own).
type handler struct {
	w       io.Writer
	journal bool
	stamp   bool
	sys     *syslog.Writer // when set, lines go to syslog instead of w
	level   slog.Level
	attrs   []slog.Attr
	mu      *sync.Mutex
}

func (h *handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *handler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	switch {
	case h.sys != nil:
	case h.journal:
		fmt.Fprintf(&b, "<%d>", priority(r.Level))
	default:
		if h.stamp {
			b.WriteString(r.Time.Format("15:04:05 "))
		}
		b.WriteString("fetchsecure: " + levelWord(r.Level))
	}
	b.WriteString(r.Message)
	var kv []string
	add := func(a slog.Attr) bool {
		kv = append(kv, a.Key+"="+quote(a.Value.Resolve().String()))
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	if len(kv) > 0 {
		b.WriteString(" (" + strings.Join(kv, " ") + ")")
	}
	if h.sys != nil {
		return toSyslog(h.sys, r.Level, b.String())
	}
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(slices.Clip(h.attrs), attrs...)
	return &c
}

// WithGroup is not used by fetchsecure; groups are flattened.
func (h *handler) WithGroup(string) slog.Handler { return h }

func levelWord(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "error: "
	case l >= slog.LevelWarn:
		return "warning: "
	case l < slog.LevelInfo:
		return "debug: "
	}
	return ""
}

// priority maps a level to a syslog priority (RFC 5424 §6.2.1) for sd-daemon(3).
func priority(l slog.Level) int {
	switch {
	case l >= slog.LevelError:
		return 3
	case l >= slog.LevelWarn:
		return 4
	case l >= slog.LevelInfo:
		return 6
	}
	return 7
}

func quote(s string) string {
	if s == "" || strings.ContainsAny(s, " \"=\t\n") {
		return fmt.Sprintf("%q", s)
	}
	return s
}
