package hub_test

import (
	"testing"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/hub/brokertest"
)

// The in-process broker is one bus: every node of a test shares it.
func TestMemoryBrokerConformance(t *testing.T) {
	t.Parallel()
	brokertest.Run(t, func(*testing.T) func() hub.Broker {
		b := hub.NewMemoryBroker()
		return func() hub.Broker { return b }
	})
}
