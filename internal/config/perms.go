package config

import (
	"fmt"
	"os"
	"syscall"

	"github.com/fetchsecure/fetchsecure/internal/secret"
)

// checkFileMode refuses a configuration file that others could change, and one that
// holds a password (or an OAuth2
// client secret) and that group or others can read, as fetchmail refuses such a
// .fetchmailrc. The problem points at the first secret in the file.
func (d *decoder) checkFileMode(cfg *Config, abs string, info os.FileInfo) {
	d.checkWriters(abs, info)
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

// checkWriters refuses a configuration file that group or others may write, or that
// belongs to another user (root aside): whoever can change it can set password_command,
// mda or tunnel_command and run any program as this user.
func (d *decoder) checkWriters(abs string, info os.FileInfo) {
	var why string
	if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Uid != uint32(os.Getuid()) && st.Uid != 0 {
		why = fmt.Sprintf("it belongs to uid %d, not to you", st.Uid)
	} else if info.Mode().Perm()&0o022 != 0 {
		why = fmt.Sprintf("group or others can change it (mode %04o)", info.Mode().Perm())
	}
	if why == "" {
		return
	}
	d.insecure = true
	d.c.list = append(d.c.list, Problem{File: d.c.file, Msg: why + ", and with it run programs as you (password_command, mda)",
		Hint: "run chmod go-w " + abs + " (and chown it to yourself)"})
}
