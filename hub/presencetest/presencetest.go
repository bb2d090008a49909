// Package presencetest is the conformance suite every hub.PresenceDirectory
// runs, in the manner of storage/storetest and hub/brokertest: a
// directory's own test calls
//
//	presencetest.Run(t, func(t *testing.T) hub.PresenceDirectory { return newDirectory(t) })
//
// and each subtest exercises one promise of the PresenceDirectory contract
// on a fresh, empty directory. A cluster-wide directory also runs
// RunCluster, whose cases see two nodes of one directory. The suite uses
// nothing but the hub package, so the in-memory directory and the Redis one
// are held to the same contract.
package presencetest

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/hub"
)

// Run runs the single-node cases. newDirectory is called once per
// subtest, possibly from parallel subtests, and returns an empty directory
// that shares nothing with the others; it closes what it made with
// t.Cleanup.
func Run(t *testing.T, newDirectory func(t *testing.T) hub.PresenceDirectory) {
	t.Helper()
	for _, tc := range singleNodeCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newDirectory(t))
		})
	}
}

// RunCluster runs the cases that need two nodes of one directory.
// newNodes is called once per subtest and returns two nodes that share one
// fresh, empty directory.
func RunCluster(t *testing.T, newNodes func(t *testing.T) (a, b hub.PresenceDirectory)) {
	t.Helper()
	for _, tc := range clusterCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := newNodes(t)
			tc.fn(t, a, b)
		})
	}
}

type singleCase struct {
	name string
	fn   func(t *testing.T, d hub.PresenceDirectory)
}

type clusterCase struct {
	name string
	fn   func(t *testing.T, a, b hub.PresenceDirectory)
}

// transition is what a SetConnected or SetAway call must answer.
type transition struct {
	before, after hub.PresenceStatus
}

// wantTransition fails the test unless the call answered want.
func wantTransition(t *testing.T, what string, before, after hub.PresenceStatus, err error, want transition) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if (transition{before, after}) != want {
		t.Errorf("%s: %s → %s, want %s → %s", what, before, after, want.before, want.after)
	}
}

// render writes a presence list as "id:status id:status".
func render(list []hub.Presence) string {
	parts := make([]string, 0, len(list))
	for _, p := range list {
		parts = append(parts, p.SubjectID+":"+string(p.Status))
	}
	return strings.Join(parts, " ")
}

// wantAgents fails the test unless d lists exactly want for org.
func wantAgents(t *testing.T, what string, d hub.PresenceDirectory, org, want string) {
	t.Helper()
	list, err := d.Agents(context.Background(), org)
	if err != nil {
		t.Fatalf("%s: Agents: %v", what, err)
	}
	if got := render(list); got != want {
		t.Errorf("%s: Agents = %q, want %q", what, got, want)
	}
}

// connect marks the agents connected on d.
func connect(t *testing.T, d hub.PresenceDirectory, org string, agents ...string) {
	t.Helper()
	for _, id := range agents {
		if _, _, err := d.SetConnected(context.Background(), org, id, true); err != nil {
			t.Fatalf("connect %s: %v", id, err)
		}
	}
}

// next calls NextAgent and fails the test on an error.
func next(t *testing.T, d hub.PresenceDirectory, org string) string {
	t.Helper()
	id, err := d.NextAgent(context.Background(), org)
	if err != nil {
		t.Fatalf("NextAgent: %v", err)
	}
	return id
}

// countTurns calls NextAgent rounds times concurrently, spread over dirs
// in turn, and counts the agents handed out.
func countTurns(t *testing.T, dirs []hub.PresenceDirectory, org string, rounds int) map[string]int {
	t.Helper()
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		counts = map[string]int{}
	)
	for i := range rounds {
		d := dirs[i%len(dirs)]
		wg.Go(func() {
			id, err := d.NextAgent(context.Background(), org)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			counts[id]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return counts
}
