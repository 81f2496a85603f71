package main

import (
	"io"
	"log/slog"

	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// daemon runs fetchsecure in the foreground until it is stopped.
func daemon(cfg *config.Config, g *globals, log *slog.Logger, stdout, stderr io.Writer) int {
	return report(stderr, "", fail.Errorf(fail.Usage, "daemon mode is not built yet: use --once"))
}
