package interop

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// parents maps every running process to its parent, from /proc/<pid>/stat
// ("pid (comm) state ppid ..."; comm may hold spaces and parentheses).
func parents() map[int]int {
	out := map[int]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, state, ok := stat(pid); ok && state != "Z" && state != "X" {
			out[pid] = ppid
		}
	}
	return out
}

// stat returns the parent and state of pid.
func stat(pid int) (ppid int, state string, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	i := strings.LastIndexByte(string(b), ')')
	if err != nil || i < 0 {
		return 0, "", false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0, "", false
	}
	ppid, err = strconv.Atoi(f[1])
	return ppid, f[0], err == nil
}

// firstChild returns a running child of pid, 0 if it has none yet.
func firstChild(pid int) int {
	for child, ppid := range parents() {
		if ppid == pid {
			return child
		}
	}
	return 0
}

// descendants lists the running processes below pid.
func descendants(pid int) []int {
	ps := parents()
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for child, ppid := range ps {
			if ppid == cur {
				out = append(out, child)
				queue = append(queue, child)
			}
		}
	}
	return out
}

// waitGone waits until none of pids runs; a zombie counts as gone, since it holds
// no socket or file and a container's init may never reap it.
func waitGone(pids []int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for _, p := range pids {
		for {
			_, state, ok := stat(p)
			if !ok || state == "Z" || state == "X" {
				break
			}
			if time.Now().After(deadline) {
				return false
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return true
}
