package config

import (
	"os"

	"github.com/fetchsecure/fetchsecure/internal/secret"
)

// checkFileMode refuses a configuration file that holds a password and that group or
// others can read, as fetchmail refuses such a .fetchmailrc. The problem points at the
// first password in the file.
func (d *decoder) checkFileMode(cfg *Config, abs string, info os.FileInfo) {
	if !secret.Exposed(info.Mode()) {
		return
	}
	for _, a := range cfg.Accounts {
		if a.Password.Literal != "" {
			d.insecure = true
			d.c.at([]string{"account", a.Name, "password"}, "run chmod 600 "+abs,
				"%s can read this password: the file has mode %04o", readers(info.Mode()), info.Mode().Perm())
			return
		}
	}
}
