package trace

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/secret"
)

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		format Format
		want   string
	}{
		{Human, "fetchsecure: warning: disk almost full (account=work free=\"1 MB\")\n"},
		{Journal, "<4>disk almost full (account=work free=\"1 MB\")\n"},
	} {
		var b bytes.Buffer
		log := New(&b, tc.format, slog.LevelInfo).With("account", "work")
		log.Warn("disk almost full", "free", "1 MB")
		log.Debug("not shown")
		if b.String() != tc.want {
			t.Errorf("format %d: %q, want %q", tc.format, b.String(), tc.want)
		}
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	for _, f := range []Format{Human, JSON, Journal} {
		var b bytes.Buffer
		New(&b, f, slog.LevelDebug).Info("login", "password", secret.Secret("hunter2"))
		if strings.Contains(b.String(), "hunter2") {
			t.Errorf("format %d printed the secret: %s", f, b.String())
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": Human, "text": Human, "json": JSON, "journal": Journal} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("ParseFormat(xml) must fail")
	}
}
