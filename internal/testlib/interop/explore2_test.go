package interop

import "time"

func timeSleep() { time.Sleep(100 * time.Millisecond) }
