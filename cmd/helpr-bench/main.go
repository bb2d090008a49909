// Command helpr-bench is the load testers' harness for helpr (in progress:
// the harness engineer replaces this file).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "helpr-bench: scenarios are not built yet")
	os.Exit(2)
}
