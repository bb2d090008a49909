package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// setupProgressEvery is the least time between two set-up progress lines.
const setupProgressEvery = 5 * time.Second

// startProgress samples the timeline once per second while the run is
// measuring and prints a progress line on w (rewritten in place on a
// terminal, one line per second otherwise — during set-up at most one
// every setupProgressEvery; nothing with quiet). The
// returned stop waits for the sampler to end.
func startProgress(m *metrics, w io.Writer, quiet, tty bool) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		var lastSetup time.Time
		for {
			select {
			case <-done:
				if tty && !quiet {
					fmt.Fprintln(w)
				}
				return
			case now := <-tk.C:
				setup := !m.measuring()
				line := progressLine(m, now)
				if quiet || setup && now.Sub(lastSetup) < setupProgressEvery {
					continue
				}
				if setup {
					lastSetup = now
				}
				if tty {
					fmt.Fprintf(w, "\r\033[K%s", line)
				} else {
					fmt.Fprintln(w, line)
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

// progressLine samples one second (while measuring) and describes it.
func progressLine(m *metrics, now time.Time) string {
	if !m.measuring() {
		return fmt.Sprintf("setup: %d connected, %d errors", m.get(cConnects), m.get(cErrors))
	}
	s := m.sample(now)
	var b strings.Builder
	fmt.Fprintf(&b, "%6.1fs", s.T)
	keys := make([]string, 0, len(s.Rates))
	for k := range s.Rates {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %s %.0f", strings.TrimSuffix(k, "_per_s")+"/s", s.Rates[k])
	}
	fmt.Fprintf(&b, "  errors %d", m.get(cErrors))
	for _, k := range latencyNames {
		if p, ok := s.P99[k]; ok {
			fmt.Fprintf(&b, "  %s p99 %.2fms", k, p)
		}
	}
	return b.String()
}
