package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// DefaultPath returns $XDG_CONFIG_HOME/fetchsecure/config.toml, or
// ~/.config/fetchsecure/config.toml if XDG_CONFIG_HOME is unset or not absolute.
func DefaultPath() (string, error) {
	dir, err := xdgDir("XDG_CONFIG_HOME", ".config")
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "fetchsecure", "config.toml"), nil
}

// DefaultStateDir returns $XDG_STATE_HOME/fetchsecure, or ~/.local/state/fetchsecure if
// XDG_STATE_HOME is unset or not absolute.
func DefaultStateDir() (string, error) {
	dir, err := xdgDir("XDG_STATE_HOME", filepath.Join(".local", "state"))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "fetchsecure"), nil
}

// xdgDir returns $env if it is absolute (the XDG Base Directory spec says to ignore
// relative values), else ~/fallback.
func xdgDir(env, fallback string) (string, error) {
	if d := os.Getenv(env); filepath.IsAbs(d) {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, fallback), nil
}

var errTildeUser = errors.New(`"~user/" is not supported`)

// expandPath makes p absolute: a leading "~/" (or a lone "~") is $HOME, and a relative
// path is relative to dir, the config file's directory.
func expandPath(p, dir string) (string, error) {
	switch {
	case p == "~" || strings.HasPrefix(p, "~/"):
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(home, p[1:]), nil
	case strings.HasPrefix(p, "~"):
		return "", errTildeUser
	case filepath.IsAbs(p):
		return filepath.Clean(p), nil
	}
	return filepath.Join(dir, p), nil
}
