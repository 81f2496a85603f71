package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"mime"
	"net/mail"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/config"
)

// notifyTimeout bounds a notification command: a desktop without a notification
// service must not leave processes behind.
const notifyTimeout = 10 * time.Second

// notifier tells the desktop user about new mail (config notify = true). With
// notify_command it runs that command with the text as one more argument; otherwise
// it uses notify-send (libnotify) or gdbus (GLib), whichever is installed, to call
// org.freedesktop.Notifications.Notify on the session bus. dbus-send cannot: it has
// no way to write the empty a{sv} argument the method requires.
type notifier struct {
	log      *slog.Logger
	lookPath func(string) (string, error)
	wg       sync.WaitGroup
	warned   sync.Once
}

// newMail notifies about the messages a fetch delivered, without waiting.
func (n *notifier) newMail(a *config.Account, reports []*fetch.FolderReport) {
	count, senders := 0, []string{}
	for _, f := range reports {
		count += f.Delivered
		for _, s := range f.Senders {
			if len(senders) < fetch.MaxSenders {
				senders = append(senders, sender(s))
			}
		}
	}
	if count == 0 {
		return
	}
	summary, body := notificationText(a.Name, count, senders)
	argv := n.command(a, summary, body)
	if argv == nil {
		return
	}
	n.wg.Go(func() { n.run(a, argv, count, senders) })
}

// command returns what to run, or nil when nothing can show a notification.
func (n *notifier) command(a *config.Account, summary, body string) []string {
	if len(a.NotifyCommand) > 0 {
		return append(append([]string(nil), a.NotifyCommand...), summary+": "+body)
	}
	if p, err := n.lookPath("notify-send"); err == nil {
		return []string{p, "--app-name=fetchsecure", "--icon=mail-unread", "--category=email.arrived", summary, body}
	}
	if p, err := n.lookPath("gdbus"); err == nil {
		return []string{p, "call", "--session", "--dest=org.freedesktop.Notifications",
			"--object-path=/org/freedesktop/Notifications", "--method=org.freedesktop.Notifications.Notify",
			"fetchsecure", "0", "mail-unread", gvariantString(summary), gvariantString(body), "[]", "{}", "-1"}
	}
	n.warned.Do(func() {
		n.log.Warn("notify = true, but neither notify-send nor gdbus is installed: set notify_command")
	})
	return nil
}

func (n *notifier) run(a *config.Account, argv []string, count int, senders []string) {
	ctx, cancel := context.WithTimeout(context.Background(), notifyTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "FETCHSECURE_ACCOUNT="+a.Name,
		fmt.Sprintf("FETCHSECURE_COUNT=%d", count), "FETCHSECURE_SENDERS="+strings.Join(senders, "\n"))
	cmd.WaitDelay = time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		n.log.Warn("desktop notification failed", "account", a.Name, "command", argv[0],
			"err", err, "output", strings.TrimSpace(string(out)))
	}
}

// wait waits for the notifications under way (each bounded by notifyTimeout).
func (n *notifier) wait() { n.wg.Wait() }

// notificationText is "3 new messages (work)" and one sender per line.
func notificationText(account string, count int, senders []string) (summary, body string) {
	summary = fmt.Sprintf("%d new messages (%s)", count, account)
	if count == 1 {
		summary = fmt.Sprintf("1 new message (%s)", account)
	}
	body = strings.Join(senders, "\n")
	if more := count - len(senders); more > 0 && len(senders) > 0 {
		body += fmt.Sprintf("\nand %d more", more)
	}
	return summary, body
}

// sender turns a From: header into something short to show: the display name, or
// the address, with RFC 2047 encoded words decoded and control characters removed.
func sender(from string) string {
	if addr, err := mail.ParseAddress(from); err == nil {
		from = addr.Address
		if addr.Name != "" {
			from = addr.Name
		}
	} else if d, err := new(mime.WordDecoder).DecodeHeader(from); err == nil {
		from = d
	}
	from = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, strings.ToValidUTF8(from, ""))
	if r := []rune(strings.TrimSpace(from)); len(r) > 60 {
		return string(r[:59]) + "…"
	}
	return strings.TrimSpace(from)
}

// gvariantString quotes s as a GVariant text string, so that gdbus takes it as the
// string it is rather than parsing it (a body such as "[1]" would otherwise be read
// as an array).
func gvariantString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}
