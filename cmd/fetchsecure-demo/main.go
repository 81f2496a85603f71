// Command fetchsecure-demo shows fetchsecure at work with nothing to install or set
// up. It starts an IMAP server (implicit TLS, a CA made on the spot) and an SSH server
// inside its own process, on 127.0.0.1 only, fills them with sample mail, writes a
// config for them and runs the real fetchsecure binary against it: check, a first
// fetch, a second one that finds nothing new, and one that deletes what it delivers.
// Then it checks every delivered file byte for byte against what the server served,
// and looks into the fetchsecure process to show that the SSH tunnel opened no port.
//
// `make demo` runs it as: fetchsecure-demo -bin bin/fetchsecure -dir demo
// With -serve the servers stay up afterwards, to try fetchsecure by hand.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without os.Exit, for the test: 0 when every step and check passed.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fetchsecure-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("bin", "bin/fetchsecure", "the fetchsecure `binary` to run")
	dir := fs.String("dir", "demo", "`directory` for the config, keys, state and maildirs (replaced on each run)")
	serve := fs.Bool("serve", false, "after the demo, keep the servers running until Ctrl-C, to try fetchsecure by hand")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fetchsecure-demo: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if _, err := exec.LookPath(*bin); err != nil {
		fmt.Fprintf(stderr, "fetchsecure-demo: no fetchsecure binary at %s: run `make demo`, which builds it, or pass -bin\n", *bin)
		return 2
	}
	d := &demo{bin: *bin, dir: *dir, out: stdout}
	err := d.run()
	if err == nil {
		fmt.Fprintf(stdout, "\nDemo OK. Look around in %s; `make demo` again starts afresh.\n", *dir)
		if *serve {
			d.serveUntilInterrupted()
		}
	}
	d.close()
	if err != nil {
		fmt.Fprintf(stderr, "\nfetchsecure-demo: FAILED: %v\n", err)
		return 1
	}
	return 0
}

// serveUntilInterrupted keeps the servers up for fetchsecure runs by hand.
func (d *demo) serveUntilInterrupted() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(d.out, "The servers keep running until Ctrl-C. Try, in another terminal:\n    %s --once -v -c %s\n",
		d.bin, d.path("config.toml"))
	<-ctx.Done()
}
