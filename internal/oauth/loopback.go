package oauth

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// browserLogin runs the authorization code grant for native apps (RFC 8252): the
// browser is sent to the provider with a PKCE challenge (RFC 7636) and a random state,
// and comes back to http://127.0.0.1:PORT/ (RFC 8252 §7.3: any port, chosen now),
// where a one-shot server takes the code. The code is then exchanged with the
// verifier, so a code stolen on its way through the browser is worth nothing.
func (c *Client) browserLogin(ctx context.Context, opts LoginOptions) (*oauth2.Token, error) {
	if err := c.needEndpoint(c.p.authURL, "oauth_auth_url", "--device"); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fail.Wrap(fail.Temporary, fmt.Errorf("listen for the browser's redirect: %w", err))
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	redirect := "http://" + net.JoinHostPort(c.p.redirectHost, strconv.Itoa(port)) + "/"
	conf, err := c.config(ctx, redirect)
	if err != nil {
		return nil, err
	}
	state, verifier := randomString(), oauth2.GenerateVerifier()
	params := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("login_hint", c.user)}
	for k, v := range c.p.params {
		params = append(params, oauth2.SetAuthURLParam(k, v))
	}
	authURL := conf.AuthCodeURL(state, params...)
	code, err := c.awaitCode(ctx, ln, state, authURL, opts)
	if err != nil {
		return nil, err
	}
	tok, err := conf.Exchange(c.withHTTP(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, c.tokenError(ctx, "exchange the authorization code", err, code, verifier, conf.ClientSecret)
	}
	return tok, nil
}

// awaitCode shows the URL and waits for the browser's redirect (or a pasted copy of
// it), the user's refusal, or the timeout.
func (c *Client) awaitCode(ctx context.Context, ln net.Listener, state, authURL string, opts LoginOptions) (string, error) {
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	results := make(chan redirectResult, 2)
	srv := &http.Server{Handler: redirectHandler(state, results), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	if c.p.redirectHost == "localhost" {
		// "localhost" may resolve to ::1 first in the browser: listen there too.
		if ln6, err := net.Listen("tcp", net.JoinHostPort("::1", strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))); err == nil {
			go srv.Serve(ln6)
		}
	}
	defer shutdown(srv)
	fmt.Fprintf(opts.Out, "To sign in to account %s as %s, open this address in a browser:\n\n    %s\n\n", c.account, c.user, authURL)
	if opts.Open != nil && opts.Open(authURL) == nil {
		fmt.Fprintln(opts.Out, "(a browser was started for it)")
	}
	if opts.Paste != nil {
		fmt.Fprintf(opts.Out, "If that browser runs on another machine, it fails to load %s after the sign-in:\n"+
			"copy that address from its address bar and paste it here.\n", "http://"+ln.Addr().String()+"/")
		go readPasted(opts.Paste, state, results)
	}
	fmt.Fprintln(opts.Out, "Waiting...")
	select {
	case r := <-results:
		if r.err != nil {
			return "", c.redirectError(r.err)
		}
		return r.code, nil
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", fail.Hint(fail.Auth, fmt.Errorf("account %s: no sign-in within %v", c.account, timeout), c.loginHint()+" again")
		}
		return "", ctx.Err()
	}
}

// shutdown lets the page of the redirect reach the browser, then stops the server.
func shutdown(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if srv.Shutdown(ctx) != nil {
		srv.Close()
	}
}

// redirectResult is the outcome of the redirect: a code, or the provider's refusal.
type redirectResult struct {
	code string
	err  error
}

type refusedError struct{ code, description string }

func (e *refusedError) Error() string {
	s := fmt.Sprintf("the provider refused: %q", clean(e.code, 60))
	if e.description != "" {
		s += ": " + clean(e.description, 300)
	}
	return s
}

func (c *Client) redirectError(err error) error {
	var re *refusedError
	if errors.As(err, &re) && re.code == "access_denied" {
		return fail.Hint(fail.Auth, fmt.Errorf("account %s: %w", c.account, err), "the sign-in was declined; "+c.loginHint()+" to try again")
	}
	return fail.Wrap(fail.Auth, fmt.Errorf("account %s: %w", c.account, err))
}

// parseRedirect reads the query of the redirect (RFC 6749 §4.1.2). A wrong state is
// not an answer (it may be a stray or hostile request to the port): ok is false.
func parseRedirect(q url.Values, state string) (r redirectResult, ok bool) {
	if q.Get("state") != state {
		return r, false
	}
	if e := q.Get("error"); e != "" {
		return redirectResult{err: &refusedError{code: e, description: q.Get("error_description")}}, true
	}
	if code := q.Get("code"); code != "" {
		return redirectResult{code: code}, true
	}
	return r, false
}

// redirectHandler serves the redirect URI: one answer goes to results, then a page
// telling the user to return to the terminal.
func redirectHandler(state string, results chan<- redirectResult) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		r, ok := parseRedirect(req.URL.Query(), state)
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, page("This is not the answer fetchsecure is waiting for. Sign in again from the link in the terminal."))
			return
		}
		msg := "Signed in. You can close this tab and return to the terminal."
		if r.err != nil {
			msg = "The sign-in did not succeed: " + r.err.Error()
		}
		io.WriteString(w, page(msg))
		select {
		case results <- r:
		default:
		}
	})
}

func page(msg string) string {
	return "<!doctype html><title>fetchsecure</title><p>" + html.EscapeString(msg) + "</p>\n"
}

// readPasted reads lines until one is the redirect address with our state.
func readPasted(in io.Reader, state string, results chan<- redirectResult) {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		u, err := url.Parse(strings.TrimSpace(sc.Text()))
		if err != nil {
			continue
		}
		if r, ok := parseRedirect(u.Query(), state); ok {
			select {
			case results <- r:
			default:
			}
			return
		}
	}
}

// randomString returns 256 random bits, base64url-encoded: the state parameter.
func randomString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
