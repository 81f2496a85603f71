// Command exitwith prints its arguments and exits with the status its first argument
// names, so that testlib can test BuildBinary and Run.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "sleep" {
		time.Sleep(time.Hour)
	}
	fmt.Println(os.Args[1:])
	fmt.Fprintln(os.Stderr, "to stderr")
	code := 0
	if len(os.Args) > 1 {
		code, _ = strconv.Atoi(os.Args[1])
	}
	os.Exit(code)
}
