package mbox

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fetchsecure/fetchsecure/fetch"
	"github.com/fetchsecure/fetchsecure/internal/fail"
)

// TestMain doubles as a helper process that holds a classic POSIX fcntl lock on a file
// (as procmail and mutt take it) until its standard input closes.
func TestMain(m *testing.M) {
	if path := os.Getenv("FETCHSECURE_TEST_FCNTL_HOLD"); path != "" {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err == nil {
			lk := syscall.Flock_t{Type: syscall.F_WRLCK}
			err = syscall.FcntlFlock(f.Fd(), syscall.F_SETLKW, &lk)
		}
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		bufio.NewReader(os.Stdin).ReadString('\n')
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// holdFcntl starts the helper and returns a function that makes it let go.
func holdFcntl(t *testing.T, path string) func() {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "FETCHSECURE_TEST_FCNTL_HOLD="+path)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "locked\n" {
		t.Fatalf("lock helper: %q", line)
	}
	var once sync.Once
	release := func() { once.Do(func() { in.Close(); cmd.Wait() }) }
	t.Cleanup(release)
	return release
}

func publishErr(m *Mbox, body string) error {
	s, err := m.Stage(context.Background(), envelope(1), strings.NewReader(body))
	if err != nil {
		return err
	}
	return m.Publish(context.Background(), []fetch.Staged{s})[0]
}

func TestFcntlLockHonoured(t *testing.T) {
	fx := newFixture(t)
	m := fx.open(t, Options{LockTimeout: 300 * time.Millisecond})
	release := holdFcntl(t, fx.path)
	err := publishErr(m, "Subject: a\n\n")
	if !fail.IsTemporary(err) || !strings.Contains(err.Error(), "locked") {
		t.Errorf("Publish while fcntl-locked = %v, want a temporary 'locked' error", err)
	}
	if _, err := os.Stat(fx.path + ".lock"); !os.IsNotExist(err) {
		t.Errorf("our dotlock was kept while waiting for fcntl: %v", err)
	}
	release()
	if err := publishErr(m, "Subject: b\n\n"); err != nil {
		t.Errorf("Publish after the lock was released = %v", err)
	}
	if msgs := readMbox(t, fx.path); len(msgs) != 1 || !bytes.Contains(msgs[0], []byte("Subject: b")) {
		t.Errorf("mbox holds %q", msgs)
	}
}

func TestDotlockHonoured(t *testing.T) {
	if _, err := exec.LookPath("lockfile"); err != nil {
		t.Skip("lockfile (procmail) not installed")
	}
	fx := newFixture(t)
	m := fx.open(t, Options{LockTimeout: 300 * time.Millisecond})
	if out, err := exec.Command("lockfile", "-r0", fx.path+".lock").CombinedOutput(); err != nil {
		t.Fatalf("lockfile: %v %s", err, out)
	}
	if err := publishErr(m, "Subject: a\n\n"); !fail.IsTemporary(err) {
		t.Errorf("Publish while dotlocked = %v, want a temporary error", err)
	}
	if data, _ := os.ReadFile(fx.path); len(data) != 0 {
		t.Errorf("mbox written while dotlocked: %q", data)
	}
	// The same lock, abandoned 10 minutes ago, is taken over.
	old := time.Now().Add(-10 * time.Minute)
	os.Chtimes(fx.path+".lock", old, old)
	if err := publishErr(m, "Subject: b\n\n"); err != nil {
		t.Errorf("Publish with a stale dotlock = %v", err)
	}
	if _, err := os.Stat(fx.path + ".lock"); !os.IsNotExist(err) {
		t.Errorf("dotlock not removed: %v", err)
	}
}

// Several deliverers at once: Mbox values of this process (each with its own spool)
// and procmail, which dotlocks and fcntl-locks. Every message must come out whole.
func TestConcurrentAppends(t *testing.T) {
	fx := newFixture(t)
	const writers, batches, perBatch = 3, 8, 5
	procmail := 0
	var wg sync.WaitGroup
	if _, err := exec.LookPath("procmail"); err == nil {
		rc := filepath.Join(fx.dir, "rc")
		os.WriteFile(rc, []byte("LOGFILE=/dev/null\nVERBOSE=no\n:0:\n"+fx.path+"\n"), 0o600)
		procmail = 20
		wg.Go(func() {
			for i := range procmail {
				cmd := exec.Command("procmail", "-m", rc)
				cmd.Stdin = strings.NewReader(fmt.Sprintf("From p@x Thu Jan  1 00:00:00 2026\nFrom: p\nSubject: procmail %d\n\nbody\n", i))
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("procmail: %v %s", err, out)
				}
			}
		})
	}
	for w := range writers {
		m, err := New(fx.path, Options{Spool: filepath.Join(fx.dir, fmt.Sprint("spool", w))})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		wg.Go(func() {
			for b := range batches {
				var batch []fetch.Staged
				for i := range perBatch {
					body := fmt.Sprintf("Subject: w%d b%d m%d\n\n%s\n", w, b, i, strings.Repeat("z", 3000*i))
					s, err := m.Stage(context.Background(), envelope(1), strings.NewReader(body))
					if err != nil {
						t.Error(err)
						return
					}
					batch = append(batch, s)
				}
				for _, err := range m.Publish(context.Background(), batch) {
					if err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	seen := map[string]int{}
	for _, msg := range readMbox(t, fx.path) {
		subj, rest, _ := strings.Cut(string(msg[strings.Index(string(msg), "Subject: ")+9:]), "\n")
		seen[subj]++
		var w, b, i int
		if _, err := fmt.Sscanf(subj, "w%d b%d m%d", &w, &b, &i); err == nil {
			if want := "\n" + strings.Repeat("z", 3000*i) + "\n"; rest != want {
				t.Errorf("%s: body damaged (%d bytes)", subj, len(rest))
			}
		}
	}
	if len(seen) != writers*batches*perBatch+procmail {
		t.Errorf("mbox holds %d distinct messages, want %d", len(seen), writers*batches*perBatch+procmail)
	}
	for s, n := range seen {
		if n != 1 {
			t.Errorf("%s appears %d times", s, n)
		}
	}
}

// TestAbandonedDotlock: a delivery killed while it held the dotlock (the crash test
// does it) must not stall the next one for the 5 minutes a dotlock takes to age. A
// lock naming a dead process of this host is taken over at once; one naming a live
// process, another host, or no process is honoured.
func TestAbandonedDotlock(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	live := exec.Command("sleep", "60")
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { live.Process.Kill(); live.Wait() }()
	host, _ := os.Hostname()
	for _, tt := range []struct {
		owner string
		taken bool
	}{
		{fmt.Sprintf("%d:%s\n", dead.Process.Pid, host), true},
		{fmt.Sprintf("%d\n", dead.Process.Pid), true}, // liblockfile
		{fmt.Sprintf("%d:%s\n", live.Process.Pid, host), false},
		{fmt.Sprintf("%d:other.example\n", dead.Process.Pid), false},
		{"0", false}, // procmail's lockfile
		{"", false},
	} {
		fx := newFixture(t)
		m := fx.open(t, Options{LockTimeout: 200 * time.Millisecond})
		if err := os.WriteFile(fx.path+".lock", []byte(tt.owner), 0o444); err != nil {
			t.Fatal(err)
		}
		err := publishErr(m, "Subject: a\n\n")
		if tt.taken && err != nil || !tt.taken && !fail.IsTemporary(err) {
			t.Errorf("dotlock holding %q: Publish = %v, want taken over: %v", tt.owner, err, tt.taken)
		}
	}
	// Ours name this process and host, so that the next run can tell.
	fx := newFixture(t)
	m := fx.open(t, Options{})
	l, err := m.lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer l.unlock()
	if b, _ := os.ReadFile(fx.path + ".lock"); string(b) != fmt.Sprintf("%d:%s\n", os.Getpid(), host) {
		t.Errorf("our dotlock holds %q", b)
	}
	// It appeared whole (written under another name, then linked) and that name is gone.
	if left, _ := filepath.Glob(fx.path + ".lock.*"); len(left) > 0 {
		t.Errorf("temporary lock files left: %v", left)
	}
}
