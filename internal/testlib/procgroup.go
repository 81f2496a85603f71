package testlib

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
)

// killGroup SIGKILLs process group pgid and waits until none of its processes runs.
//
// Processes whose parent died are reparented to PID 1, which reaps them when it
// pleases: a container's init may take a second or never do it. A zombie holds no
// socket or file any more, so it counts as gone; only running members are waited for.
func killGroup(pgid int) bool {
	deadline := time.Now().Add(10 * time.Second)
	for {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		if !groupRunning(pgid) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// groupRunning reports whether a process of group pgid runs (is not a zombie), from
// /proc/<pid>/stat: "pid (comm) state ppid pgrp ...".
func groupRunning(pgid int) bool {
	if syscall.Kill(-pgid, 0) != nil {
		return false
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return true
	}
	want := []byte(strconv.Itoa(pgid))
	for _, e := range ents {
		if c := e.Name()[0]; c < '0' || c > '9' {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		i := bytes.LastIndexByte(stat, ')') // comm may hold spaces and parentheses
		if err != nil || i < 0 {
			continue
		}
		f := bytes.Fields(stat[i+1:])
		if len(f) >= 3 && bytes.Equal(f[2], want) && f[0][0] != 'Z' && f[0][0] != 'X' {
			return true
		}
	}
	return false
}
