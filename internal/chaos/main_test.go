package chaos

import (
	"flag"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// allCases is -chaos: run every fault case, not only the fast ones.
var allCases = flag.Bool("chaos", false, "run every fault case F1–F8 (also HELPR_CHAOS=all)")

// TestMain fails the package when a goroutine outlives its tests.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// slowCase skips a case outside `make chaos` (HELPR_CHAOS=all or -chaos):
// `make test` runs only the fast ones.
func slowCase(t *testing.T) {
	t.Helper()
	if !*allCases && os.Getenv("HELPR_CHAOS") != "all" {
		t.Skip("slow fault case: run with HELPR_CHAOS=all (make chaos)")
	}
	if testing.Short() {
		t.Skip("-short")
	}
}
