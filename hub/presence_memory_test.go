package hub_test

import (
	"testing"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/hub/presencetest"
)

// The in-memory directory is single-node: it runs the single-node cases.
func TestMemoryPresenceConformance(t *testing.T) {
	t.Parallel()
	presencetest.Run(t, func(*testing.T) hub.PresenceDirectory { return hub.NewMemoryPresence() })
}
