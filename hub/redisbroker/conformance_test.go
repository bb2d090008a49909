package redisbroker

import (
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/hub/brokertest"
)

// Each bus is its own channel prefix on one Redis shared by the suite;
// each node is a Broker with its own client, closed at the end of its
// subtest.
func TestConformance(t *testing.T) {
	t.Parallel()
	url := redisServer(t).URL()
	var buses atomic.Int64
	brokertest.Run(t, func(t *testing.T) func() hub.Broker {
		prefix := "bus" + strconv.FormatInt(buses.Add(1), 10) + ":"
		return func() hub.Broker {
			b, _ := newBroker(t, url, Options{Prefix: prefix})
			return b
		}
	})
}
