// Package leakcheck is the goroutine-leak check of the packages whose tests
// talk to Redis. It is goleak's, with one allowance: after a Redis client
// has failed to dial, go-redis keeps a background redial goroutine that
// notices the client was closed only when its one-second sleep ends. So a
// leak found at the end of the tests is looked for again once that sleep
// has certainly ended, and only what is still there fails the package.
package leakcheck

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// redialGrace outlasts go-redis's redial sleep (1 s) with a margin.
const redialGrace = 2 * time.Second

// Main runs the package's tests, then fails the package when a goroutine
// outlives them. Call it from TestMain: `func TestMain(m *testing.M) {
// leakcheck.Main(m) }`.
func Main(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := find(); err != nil {
			fmt.Fprintf(os.Stderr, "leakcheck: goroutines outlived the tests: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// find returns goleak's report of leaked goroutines, waiting out the
// redial grace first when the first look found some.
func find() error {
	if goleak.Find() == nil {
		return nil
	}
	time.Sleep(redialGrace)
	return goleak.Find()
}
