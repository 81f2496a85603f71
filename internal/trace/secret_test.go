package trace

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/fetchsecure/fetchsecure/internal/secret"
)

func TestSecretsNeverPrinted(t *testing.T) {
	for _, f := range []Format{Human, JSON, Journal} {
		var b bytes.Buffer
		New(&b, f, slog.LevelDebug).Info("login", "password", secret.Secret("hunter2"))
		if strings.Contains(b.String(), "hunter2") {
			t.Errorf("format %d printed the secret: %s", f, b.String())
		}
	}
}
