package redislimit

import (
	"testing"

	"github.com/helpr-chat/helpr/internal/leakcheck"
)

// TestMain fails the package when a goroutine outlives its tests (allowing
// go-redis's redial loop its last second; see internal/leakcheck).
func TestMain(m *testing.M) {
	leakcheck.Main(m)
}
