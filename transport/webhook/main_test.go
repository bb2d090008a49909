package webhook

import (
	"testing"

	"github.com/helpr-chat/helpr/internal/leakcheck"
)

// TestMain fails the package when a goroutine outlives its tests: a
// worker that does not stop, or a connection left open.
func TestMain(m *testing.M) {
	leakcheck.Main(m)
}
