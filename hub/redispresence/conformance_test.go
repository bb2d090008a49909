package redispresence

import (
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/hub/presencetest"
	"github.com/helpr-chat/helpr/internal/testsvc"
)

// Every subtest gets its own key prefix on one Redis shared by the suite,
// so directories share nothing; the cluster cases get two nodes on one
// prefix.
func TestConformance(t *testing.T) {
	t.Parallel()
	rdb := newClient(t, testsvc.NewRedis(t))
	var dirs atomic.Int64
	prefix := func() string { return "dir" + strconv.FormatInt(dirs.Add(1), 10) + ":" }
	t.Run("single", func(t *testing.T) {
		presencetest.Run(t, func(t *testing.T) hub.PresenceDirectory {
			return newDirectory(t, rdb, "node-a", Options{Prefix: prefix(), Heartbeat: -1})
		})
	})
	t.Run("cluster", func(t *testing.T) {
		presencetest.RunCluster(t, func(t *testing.T) (hub.PresenceDirectory, hub.PresenceDirectory) {
			p := prefix()
			return newDirectory(t, rdb, "node-a", Options{Prefix: p, Heartbeat: -1}),
				newDirectory(t, rdb, "node-b", Options{Prefix: p, Heartbeat: -1})
		})
	})
}
