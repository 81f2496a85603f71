package config

// Bounds of max_line_length: below 512 bytes an ordinary greeting or capability line
// is refused; above 16 MiB the limit no longer protects the machine's memory.
const (
	minMaxLine = 512
	maxMaxLine = 16 << 20
)

// maxLine reads max_line_length, the longest reply a server may send outside message
// bodies (IMAP: a response's text and the literals held in memory; POP3: a status,
// CAPA, LIST or UIDL line). 0 leaves each protocol's default: 64 KiB for IMAP, 8 KiB
// for POP3.
func (d *decoder) maxLine(t *table, a *Account) {
	n := t.size("max_line_length")
	if n != 0 && (n < minMaxLine || n > maxMaxLine) {
		t.problem("max_line_length", `write a size from "512B" to "16MiB", or remove the key`,
			"%d bytes is out of range", n)
		n = 0
	}
	a.MaxLine = int(n)
}
