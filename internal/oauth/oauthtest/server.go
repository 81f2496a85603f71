// Package oauthtest runs, for tests, an OAuth 2.0 authorization server (authorization,
// device authorization and token endpoints) and an IMAP server that takes the access
// tokens it issues, both in process on 127.0.0.1.
//
// The authorization server approves every request at once unless told otherwise, so
// a test plays the user with Browse (the loopback flow) or just waits (the device
// flow). It checks what a real one checks: the client ID and secret, the redirect URI,
// the PKCE verifier (S256 only), single use of codes, and which refresh and access
// tokens are alive. Tokens look like "at-<hex>" and "rt-<hex>", so a test can search
// every output for them.
package oauthtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options configure a Server. The zero value issues one-hour access tokens to the
// public client "fetchsecure-test".
type Options struct {
	ClientID     string        // default "fetchsecure-test"
	ClientSecret string        // if set, token requests must carry it
	Lifetime     time.Duration // expires_in of access tokens; default 1h
	Rotate       bool          // a refresh issues a new refresh token and kills the old one
	Pending      int           // device flow: "authorization_pending" answers before approval
	Deny         bool          // the user declines (access_denied)
	NoRefresh    bool          // issue no refresh token
}

// Server is a running authorization server.
type Server struct {
	URL                          string
	AuthURL, TokenURL, DeviceURL string

	opts Options
	srv  *httptest.Server
	mu   sync.Mutex
	live map[string]string    // refresh token → "live"
	at   map[string]time.Time // access token → expiry
	code map[string]grant     // authorization code → what it was issued for
	dev  map[string]int       // device code → pending answers left
	all  []string             // every token and code issued
	hits map[string]int       // grant type → token requests
	last url.Values           // the last authorization request
}

type grant struct{ redirect, challenge string }

// Start starts a server that stops when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.ClientID == "" {
		opts.ClientID = "fetchsecure-test"
	}
	if opts.Lifetime == 0 {
		opts.Lifetime = time.Hour
	}
	s := &Server{opts: opts, live: map[string]string{}, at: map[string]time.Time{}, code: map[string]grant{},
		dev: map[string]int{}, hits: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", s.authorize)
	mux.HandleFunc("POST /device", s.device)
	mux.HandleFunc("POST /token", s.token)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	s.AuthURL, s.TokenURL, s.DeviceURL = s.URL+"/authorize", s.URL+"/token", s.URL+"/device"
	return s
}

// ClientID is the client the server knows.
func (s *Server) ClientID() string { return s.opts.ClientID }

// Valid reports whether token is a live access token: what a mail server asks.
func (s *Server) Valid(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.at[token]
	return ok && time.Now().Before(exp)
}

// Revoke kills every refresh and access token, as a password change does.
func (s *Server) Revoke() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.live)
	clear(s.at)
}

// Requests returns how many token requests of a grant type ("refresh_token",
// "authorization_code", "urn:ietf:params:oauth:grant-type:device_code") arrived.
func (s *Server) Requests(grantType string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[grantType]
}

// Issued returns every token, code and device code issued so far.
func (s *Server) Issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.all...)
}

// LastAuthorization returns the query of the last authorization request.
func (s *Server) LastAuthorization() url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Browse plays the user's browser: it opens authURL, follows the provider's redirect
// to the client's loopback address and returns the page the client answered with.
func Browse(authURL string) (string, error) {
	resp, err := http.Get(authURL)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	s.last = q
	s.mu.Unlock()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Scheme != "http" || !loopback(redirect.Hostname()) || q.Get("client_id") != s.opts.ClientID {
		http.Error(w, "bad client or redirect_uri", http.StatusBadRequest)
		return
	}
	back := url.Values{"state": {q.Get("state")}}
	switch {
	case s.opts.Deny:
		back.Set("error", "access_denied")
		back.Set("error_description", "The user declined")
	case q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		back.Set("error", "invalid_request")
	default:
		code := s.newSecret("code-")
		s.mu.Lock()
		s.code[code] = grant{redirect: redirect.String(), challenge: q.Get("code_challenge")}
		s.mu.Unlock()
		back.Set("code", code)
	}
	if strings.HasPrefix(redirect.Hostname(), "localhost") {
		redirect.Host = strings.Replace(redirect.Host, "localhost", "127.0.0.1", 1) // no resolver in tests
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func loopback(host string) bool { return host == "127.0.0.1" || host == "localhost" || host == "::1" }

func (s *Server) device(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("client_id") != s.opts.ClientID {
		writeError(w, "invalid_client", "unknown client")
		return
	}
	dc := s.newSecret("dc-")
	s.mu.Lock()
	s.dev[dc] = s.opts.Pending
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"device_code": dc, "user_code": "WDJB-MJHT",
		"verification_uri": s.URL + "/verify", "expires_in": 600, "interval": 1})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	if id != s.opts.ClientID || secret != s.opts.ClientSecret {
		writeError(w, "invalid_client", "client authentication failed")
		return
	}
	gt := r.PostFormValue("grant_type")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits[gt]++
	var e string
	switch gt {
	case "refresh_token":
		e = s.redeemRefresh(r.PostFormValue("refresh_token"))
	case "authorization_code":
		e = s.redeemCode(r.PostFormValue("code"), r.PostFormValue("redirect_uri"), r.PostFormValue("code_verifier"))
	case "urn:ietf:params:oauth:grant-type:device_code":
		e = s.redeemDevice(r.PostFormValue("device_code"))
	default:
		e = "unsupported_grant_type"
	}
	if e != "" {
		writeError(w, e, "refused by oauthtest")
		return
	}
	s.issue(w, r.PostFormValue("refresh_token"))
}

func (s *Server) redeemRefresh(rt string) string {
	if s.live[rt] == "" {
		return "invalid_grant"
	}
	if s.opts.Rotate {
		delete(s.live, rt)
	}
	return ""
}

func (s *Server) redeemCode(code, redirect, verifier string) string {
	g, ok := s.code[code]
	delete(s.code, code) // single use, whatever happens
	sum := sha256.Sum256([]byte(verifier))
	if !ok || g.redirect != redirect || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		return "invalid_grant"
	}
	return ""
}

func (s *Server) redeemDevice(dc string) string {
	left, ok := s.dev[dc]
	switch {
	case !ok:
		return "invalid_grant"
	case s.opts.Deny:
		return "access_denied"
	case left > 0:
		s.dev[dc] = left - 1
		return "authorization_pending"
	}
	delete(s.dev, dc)
	return ""
}

// issue answers a successful token request; s.mu is held. A refresh that does not
// rotate sends no refresh token, as Google does.
func (s *Server) issue(w http.ResponseWriter, usedRefresh string) {
	at := s.secretLocked("at-")
	s.at[at] = time.Now().Add(s.opts.Lifetime)
	resp := map[string]any{"access_token": at, "token_type": "Bearer",
		"expires_in": int(s.opts.Lifetime.Seconds()), "scope": "mail"}
	if !s.opts.NoRefresh && (usedRefresh == "" || s.opts.Rotate) {
		rt := s.secretLocked("rt-")
		s.live[rt] = "live"
		resp["refresh_token"] = rt
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) newSecret(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.secretLocked(prefix)
}

func (s *Server) secretLocked(prefix string) string {
	b := make([]byte, 16)
	rand.Read(b)
	v := prefix + hex.EncodeToString(b)
	s.all = append(s.all, v)
	return v
}

func writeError(w http.ResponseWriter, code, description string) {
	status := http.StatusBadRequest
	if code == "invalid_client" {
		status = http.StatusUnauthorized
	}
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
