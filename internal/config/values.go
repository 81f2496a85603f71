package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// sizeUnits maps a lowercase unit (without the optional "b") to its multiplier:
// SI (k = 1000) and IEC (ki = 1024).
var sizeUnits = map[string]int64{
	"": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12,
	"ki": 1 << 10, "mi": 1 << 20, "gi": 1 << 30, "ti": 1 << 40,
}

// ParseSize parses a size such as "10MB", "512KiB", "1g" or "2048" into bytes. Units are
// SI (KB = 1000) or IEC (KiB = 1024), case-insensitive, and the final B is optional.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	unit := strings.ToLower(strings.TrimSpace(t[i:]))
	if u, ok := strings.CutSuffix(unit, "b"); ok && u != "i" {
		unit = u
	}
	mult, ok := sizeUnits[unit]
	switch {
	case !ok:
		return 0, fmt.Errorf("%q has an unknown unit %q", s, t[i:])
	case err != nil || n > math.MaxInt64/mult:
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n * mult, nil
}

// parseFingerprint normalises "sha256:AB:CD:..." (prefix and hex case-insensitive,
// colons optional) to 64 lowercase hex digits.
func parseFingerprint(s string) (string, error) {
	prefix, hexPart, ok := strings.Cut(s, ":")
	if !ok || !strings.EqualFold(prefix, "sha256") {
		return "", errors.New("does not start with \"sha256:\"")
	}
	h := strings.ToLower(strings.ReplaceAll(hexPart, ":", ""))
	if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		return "", fmt.Errorf("has %d characters after \"sha256:\" (colons aside), want 64 hex digits", len(h))
	}
	return h, nil
}

// IsLoopback reports whether host is literally a loopback name or address: "localhost",
// 127.0.0.0/8 or ::1 (brackets allowed). Names are not resolved, so that DNS cannot make
// a remote host count as local.
func IsLoopback(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" {
		return true
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	a, err := netip.ParseAddr(h)
	return err == nil && a.Unmap().IsLoopback()
}

// parseHostPort parses "host:port" (port optional if def > 0) and returns it joined again
// in canonical form ("[::1]:25").
func parseHostPort(s string, def int) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		if def == 0 || strings.Count(s, ":") == 1 {
			return "", errors.New("is not host:port")
		}
		host, port = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"), strconv.Itoa(def)
		if _, err := netip.ParseAddr(host); err != nil && strings.Contains(host, ":") {
			return "", errors.New("is not host:port")
		}
	}
	p, err := strconv.Atoi(port)
	if host == "" || err != nil || p < 1 || p > 65535 {
		return "", errors.New("is not host:port with a port from 1 to 65535")
	}
	return net.JoinHostPort(host, strconv.Itoa(p)), nil
}
