package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progress shows how much of a transfer is done: a bar redrawn in place
// on a terminal, otherwise a plain line at every tenth. It is an
// io.Writer counting the bytes written through it (io.TeeReader).
type progress struct {
	w     io.Writer
	tty   bool
	what  string
	total int64
	n     int64
	shown int // the last percentage (tty) or tenth (lines) shown; -1 none
}

func newProgress(w io.Writer, total int64, what string) *progress {
	p := &progress{w: w, tty: isTerminal(w), what: what, total: total, shown: -1}
	p.draw()
	return p
}

func (p *progress) Write(b []byte) (int, error) {
	p.n += int64(len(b))
	p.draw()
	return len(b), nil
}

func (p *progress) pct() int {
	if p.total <= 0 {
		return 100
	}
	return int(min(100, p.n*100/p.total))
}

func (p *progress) draw() {
	pct := p.pct()
	if !p.tty {
		if tenth := pct / 10; tenth > p.shown {
			p.shown = tenth
			fmt.Fprintf(p.w, "%s: %d%% (%s of %s)\n", p.what, tenth*10, bytesText(p.n), bytesText(p.total))
		}
		return
	}
	if pct == p.shown {
		return
	}
	p.shown = pct
	fmt.Fprintf(p.w, "\r%s %s %3d%% %s / %s ", p.what, bar(pct, 30), pct, bytesText(p.n), bytesText(p.total))
}

// finish ends the bar's line on a terminal.
func (p *progress) finish() {
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

// bar is a fixed-width text bar, pct percent full.
func bar(pct, width int) string {
	full := pct * width / 100
	return "[" + strings.Repeat("#", full) + strings.Repeat(".", width-full) + "]"
}

// bytesText renders a size in B, KiB, MiB or GiB.
func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
