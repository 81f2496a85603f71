package config

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64 // -1: error
	}{
		{"0", 0}, {"2048", 2048}, {"10MB", 10e6}, {"10mb", 10e6}, {"10M", 10e6},
		{"512KiB", 512 << 10}, {"512kib", 512 << 10}, {"512Ki", 512 << 10}, {"1GB", 1e9},
		{"1GiB", 1 << 30}, {"2 TB", 2e12}, {"7B", 7}, {"1k", 1000},
		{"", -1}, {"MB", -1}, {"1.5MB", -1}, {"10 parsecs", -1}, {"-1", -1}, {"1iB", -1},
		{"9223372036854775807", 9223372036854775807}, {"9223372036854775807KB", -1},
		{"99999999999999999999", -1},
	} {
		got, err := ParseSize(tc.in)
		if tc.want < 0 && err == nil || tc.want >= 0 && (err != nil || got != tc.want) {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestParseFingerprint(t *testing.T) {
	hex := strings.Repeat("0123456789abcdef", 4)
	colons := strings.ToUpper(hex[:2])
	for i := 2; i < 64; i += 2 {
		colons += ":" + strings.ToUpper(hex[i:i+2])
	}
	for _, in := range []string{"sha256:" + hex, "SHA256:" + colons, "sha256:" + strings.ToUpper(hex)} {
		if got, err := parseFingerprint(in); err != nil || got != hex {
			t.Errorf("parseFingerprint(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{hex, "sha256:" + hex[:62], "sha256:" + hex + "00", "sha1:" + hex,
		"sha256:" + hex[:63] + "g", ""} {
		if _, err := parseFingerprint(in); err == nil {
			t.Errorf("parseFingerprint(%q) accepted", in)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST.": true, "127.0.0.1": true, "127.1.2.3": true, "::1": true,
		"[::1]": true, "::ffff:127.0.0.1": true,
		"localhost.example.org": false, "128.0.0.1": false, "0.0.0.0": false, "::": false,
		"mail.example.org": false, "10.0.0.1": false, "": false, "127.0.0.1.nip.io": false,
	} {
		if IsLoopback(host) != want {
			t.Errorf("IsLoopback(%q) = %v", host, !want)
		}
	}
}

func TestParseHostPort(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"relay", "relay:25"}, {"relay:587", "relay:587"}, {"::1", "[::1]:25"}, {"[::1]", "[::1]:25"},
		{"[::1]:26", "[::1]:26"}, {"relay:0", ""}, {"relay:", ""}, {":25", ""}, {"a:b:c", ""},
	} {
		got, err := parseHostPort(tc.in, 25)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("parseHostPort(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := parseHostPort("localhost", 0); err == nil {
		t.Error("lmtp without a port accepted")
	}
}

func TestExpandPath(t *testing.T) {
	t.Setenv("HOME", "/home/u")
	for _, tc := range []struct{ in, want string }{
		{"~/Mail", "/home/u/Mail"}, {"~", "/home/u"}, {"Mail", "/etc/fs/Mail"}, {"../x", "/etc/x"},
		{"/var//mail/", "/var/mail"}, {"~bob/Mail", ""},
	} {
		got, err := expandPath(tc.in, "/etc/fs")
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("expandPath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestDefaultPaths(t *testing.T) {
	t.Setenv("HOME", "/home/u")
	t.Setenv("XDG_CONFIG_HOME", "/xdg/config")
	t.Setenv("XDG_STATE_HOME", "relative/is/ignored")
	if p, err := DefaultPath(); err != nil || p != "/xdg/config/fetchsecure/config.toml" {
		t.Errorf("DefaultPath() = %q, %v", p, err)
	}
	if p, err := DefaultStateDir(); err != nil || p != "/home/u/.local/state/fetchsecure" {
		t.Errorf("DefaultStateDir() = %q, %v", p, err)
	}
	t.Setenv("XDG_CONFIG_HOME", "")
	if p, _ := DefaultPath(); p != "/home/u/.config/fetchsecure/config.toml" {
		t.Errorf("DefaultPath() = %q", p)
	}
}

func TestSuggest(t *testing.T) {
	for k, want := range map[string]string{
		"pasword": "password", "PASSWORD": "password", "Host": "host", "usr": "user",
		"passwd": "password", "maildirs": "maildir", "username": "user", "xyz": "", "tls2": "tls",
	} {
		got := suggest(k, accountKeys)
		if want == "" && got != "" || want != "" && !strings.Contains(got, "`"+want+"`") {
			t.Errorf("suggest(%q) = %q, want %s", k, got, want)
		}
	}
}
