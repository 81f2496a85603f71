package run

import (
	"context"
	"crypto/tls"
	"fmt"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/fetch/imap"
	"github.com/fetchsecure/fetchsecure/fetch/pop3"
	"github.com/fetchsecure/fetchsecure/internal/config"
	"github.com/fetchsecure/fetchsecure/internal/fail"
	"github.com/fetchsecure/fetchsecure/internal/oauth"
	"github.com/fetchsecure/fetchsecure/internal/secret"
	"github.com/fetchsecure/fetchsecure/tunnel"
)

// connect dials the account's server and opens an authenticated session.
func connect(ctx context.Context, a *config.Account, env *Env) (fetch.Source, fetch.Envelope, error) {
	ep, err := endpoint(a)
	if err != nil {
		return nil, fetch.Envelope{}, err
	}
	log := env.Log.With("account", a.Name)
	log.Debug("connecting", "server", fmt.Sprintf("%s:%d", a.Host, a.Port), "tls", a.TLS.String(), "via", via(a))
	conn, err := env.Dialer.Dial(ctx, ep)
	if err != nil {
		return nil, fetch.Envelope{}, fmt.Errorf("connect to %s: %w", a.Host, err)
	}
	log.Debug("connected", "security", conn.Describe())
	password := func(ctx context.Context) (string, error) { return password(ctx, a, env) }
	envelope := fetch.Envelope{Account: a.Name, Server: a.Host, Protocol: a.Protocol.String()}
	var src fetch.Source
	switch a.Protocol {
	case config.IMAP:
		envelope.Protocol = "IMAP"
		src, err = imap.New(ctx, conn, imap.Options{
			StartTLS: startTLS(ep), TLS: ep.Mode == tunnel.ModeTLS,
			PlaintextOK: plaintextOK(a), AllowPreauth: len(a.TunnelCommand) > 0,
			User: a.User, Password: password, Auth: a.Auth.String(), Keep: a.Keep,
			Delim: a.MaildirFolders,
			Log:   env.Log.With("account", a.Name), MaxLine: a.MaxLine,
		})
	default:
		envelope.Protocol = "POP3"
		src, err = newPOP3(ctx, conn, a, ep, password, env)
	}
	if err != nil {
		if a.OAuth != nil && fail.KindOf(err) == fail.Auth {
			oauth.Forget(a) // refused before its time: refresh it next time
		}
		return nil, envelope, err
	}
	envelope.Security = security(conn)
	return src, envelope, nil
}

func via(a *config.Account) string {
	switch {
	case a.Tunnel != nil:
		return "ssh tunnel " + a.Tunnel.Name
	case len(a.TunnelCommand) > 0:
		return "command " + a.TunnelCommand[0]
	}
	return "direct"
}

// endpoint translates the account's connection settings for package tunnel.
func endpoint(a *config.Account) (tunnel.Endpoint, error) {
	ep := tunnel.Endpoint{Host: a.Host, Port: a.Port, Command: a.TunnelCommand, Timeout: a.Timeout}
	if a.Tunnel != nil {
		ep.Via = a.Tunnel.Name
	}
	switch a.TLS {
	case config.TLS:
		ep.Mode = tunnel.ModeTLS
	case config.StartTLS:
		ep.Mode = tunnel.ModeStartTLS
	default:
		ep.Mode = tunnel.ModeNone
		return ep, nil
	}
	cfg, err := tunnel.TLSConfig(tunnel.TLSOptions{ServerName: a.TLSServerName,
		CAFile: a.CAFile, Pins: a.TLSFingerprints})
	if err != nil {
		return ep, err
	}
	ep.TLS = cfg
	return ep, nil
}

func startTLS(ep tunnel.Endpoint) *tls.Config {
	if ep.Mode == tunnel.ModeStartTLS {
		return ep.TLS
	}
	return nil
}

// plaintextOK: credentials may travel without TLS only where the config said
// tls = "none", which it allows only inside a tunnel or to a loopback address.
func plaintextOK(a *config.Account) bool {
	return a.TLS == config.NoTLS && (a.Tunnel != nil || len(a.TunnelCommand) > 0 || config.IsLoopback(a.Host))
}

// security describes how the session is protected, for the Received: header. The
// protocol clients record a successful STARTTLS/STLS on the conn ("STARTTLS TLS1.3").
func security(conn *tunnel.Conn) string { return conn.Describe() }

// password resolves the account's secret: the OAuth2 access token, or the password,
// asked for on a terminal if it is stored nowhere (secret.Missing).
func password(ctx context.Context, a *config.Account, env *Env) (string, error) {
	if a.OAuth != nil {
		return oauth.AccessToken(ctx, a)
	}
	src := a.Password
	if a.Auth == config.AuthOAuth2 {
		src = a.Token
	}
	s, err := src.Resolve(ctx)
	if secret.Missing(err) && env.Prompt != nil && a.Auth != config.AuthOAuth2 {
		return env.Prompt(fmt.Sprintf("Password for %s@%s (account %s): ", a.User, a.Host, a.Name))
	}
	if err != nil {
		return "", fail.Hint(fail.KindOf(err), fmt.Errorf("account %s: %w", a.Name, err), fail.HintOf(err))
	}
	return s.Reveal(), nil
}

// newPOP3 opens a POP3 session: greeting, STLS if asked, login.
func newPOP3(ctx context.Context, conn *tunnel.Conn, a *config.Account, ep tunnel.Endpoint,
	password func(context.Context) (string, error), env *Env) (fetch.Source, error) {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := pop3.New(conn, pop3.Options{
		StartTLS: startTLS(ep), PlaintextOK: plaintextOK(a), Auth: a.Auth.String(),
		NoUIDL: a.POP3NoUIDL.String(), Logger: env.Log.With("account", a.Name), MaxLine: a.MaxLine,
	})
	if err != nil {
		return nil, err
	}
	pass, err := password(ctx)
	if err == nil {
		err = c.Login(a.User, pass)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return pop3.NewSource(c), nil
}
