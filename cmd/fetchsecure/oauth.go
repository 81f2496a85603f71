package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/oauth"
)

// oauthCommand is `fetchsecure oauth login|logout ACCOUNT`: sign in once for an
// account with auth = "oauth2" and oauth_provider, storing the refresh token that
// every later run turns into access tokens; or forget it.
func oauthCommand(args []string, stdout, stderr io.Writer) int {
	var g globals
	var device, browser, noBrowser bool
	words, code, ok := parseMixed("oauth", args, stderr, &g, func(fs *flag.FlagSet) {
		fs.BoolVar(&device, "device", false, "sign in with a code entered on any device (RFC 8628)")
		fs.BoolVar(&browser, "browser", false, "sign in with a browser on this machine")
		fs.BoolVar(&noBrowser, "no-browser", false, "print the address; do not start a browser")
	})
	if !ok {
		return code
	}
	const use = "usage: fetchsecure oauth login [--device|--browser] [--no-browser] ACCOUNT | fetchsecure oauth logout ACCOUNT"
	if len(words) != 2 || (words[0] != "login" && words[0] != "logout") || (device && browser) {
		return report(stderr, "", fail.Errorf(fail.Usage, use))
	}
	a, err := loadAccount(g.config, words[1])
	if err != nil {
		return report(stderr, "", err)
	}
	c, err := oauth.New(a)
	if err != nil {
		return report(stderr, "", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if words[0] == "logout" {
		return oauthLogout(ctx, c, a.Name, stdout, stderr)
	}
	opts := oauth.LoginOptions{Out: stdout}
	switch {
	case device:
		opts.Flow = oauth.DeviceFlow
	case browser:
		opts.Flow = oauth.BrowserFlow
	}
	if !noBrowser && hasDisplay() {
		opts.Open = openBrowser
	}
	if interactiveStdin() {
		opts.Paste = stdin
	}
	if err := c.Login(ctx, opts); err != nil {
		return report(stderr, "", err)
	}
	fmt.Fprintf(stdout, "Signed in. The refresh token of account %s is in %s;\nfetchsecure gets access tokens with it from now on.\n",
		a.Name, c.Where())
	return 0
}

func oauthLogout(ctx context.Context, c *oauth.Client, name string, stdout, stderr io.Writer) int {
	had, err := c.Logout(ctx)
	if err != nil {
		return report(stderr, "", err)
	}
	if !had {
		fmt.Fprintf(stdout, "No token was stored for account %s.\n", name)
		return 0
	}
	fmt.Fprintf(stdout, "Deleted the tokens of account %s from %s.\n"+
		"The provider still lists the grant: remove it in the account's security settings to revoke it.\n", name, c.Where())
	return 0
}

// hasDisplay reports whether a browser could open here.
func hasDisplay() bool {
	return runtime.GOOS == "darwin" || os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}

// openBrowser starts the desktop's browser on url (which holds no secret: only the
// client ID, a PKCE challenge and a state nonce) without waiting for it.
func openBrowser(url string) error {
	name := "xdg-open"
	if runtime.GOOS == "darwin" {
		name = "open"
	}
	cmd := exec.Command(name, url)
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}
