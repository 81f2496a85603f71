package config

import (
	"os"

	"github.com/fetchsecure/fetchsecure/internal/secret"
)

// checkFileMode refuses a configuration file that holds a password (or an OAuth2
// client secret) and that group or others can read, as fetchmail refuses such a
// .fetchmailrc. The problem points at the first secret in the file.
func (d *decoder) checkFileMode(cfg *Config, abs string, info os.FileInfo) {
	if !secret.Exposed(info.Mode()) {
		return
	}
	for _, a := range cfg.Accounts {
		key := "password"
		if a.Password.Literal == "" {
			if a.OAuth == nil || a.OAuth.ClientSecret.Literal == "" {
				continue
			}
			key = "oauth_client_secret"
		}
		d.insecure = true
		d.c.at([]string{"account", a.Name, key}, "run chmod 600 "+abs,
			"%s can read this secret: the file has mode %04o", readers(info.Mode()), info.Mode().Perm())
		return
	}
}
