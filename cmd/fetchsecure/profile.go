package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"runtime/trace"
)

// Hidden switches for the benchmark harness (make bench-profile): when set, the run
// writes a CPU profile or an execution trace to the named file. They are read from the
// environment, not flags, so that no user-facing option exists for them.
const (
	cpuProfileEnv = "FETCHSECURE_CPUPROFILE"
	traceEnv      = "FETCHSECURE_TRACE"
)

// profiled wraps run so that the profile and trace named in the environment cover the
// whole command and are complete before main calls os.Exit.
func profiled(run func(args []string, stdout, stderr io.Writer) int) func([]string, io.Writer, io.Writer) int {
	return func(args []string, stdout, stderr io.Writer) int {
		stop, err := startProfiles(os.Getenv(cpuProfileEnv), os.Getenv(traceEnv))
		if err != nil {
			fmt.Fprintln(stderr, "fetchsecure:", err)
			return 1
		}
		code := run(args, stdout, stderr)
		if err := stop(); err != nil {
			fmt.Fprintln(stderr, "fetchsecure:", err)
		}
		return code
	}
}

// startProfiles starts what is asked for ("" = not asked) and returns what stops it.
func startProfiles(cpuFile, traceFile string) (func() error, error) {
	var stops []func() error
	stopAll := func() error {
		var first error
		for _, s := range stops {
			if err := s(); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	if cpuFile != "" {
		f, err := os.Create(cpuFile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			return nil, fmt.Errorf("cpu profile %s: %w", cpuFile, err)
		}
		stops = append(stops, func() error { pprof.StopCPUProfile(); return f.Close() })
	}
	if traceFile != "" {
		f, err := os.Create(traceFile)
		if err == nil {
			err = trace.Start(f)
		}
		if err != nil {
			_ = stopAll()
			return nil, fmt.Errorf("trace %s: %w", traceFile, err)
		}
		stops = append(stops, func() error { trace.Stop(); return f.Close() })
	}
	return stopAll, nil
}
