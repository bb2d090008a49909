package presencetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/helpr-chat/helpr/hub"
)

var clusterCases = []clusterCase{
	{"StatusIsClusterWide", statusIsClusterWide},
	{"OneTurnAcrossNodes", oneTurnAcrossNodes},
}

func statusIsClusterWide(t *testing.T, a, b hub.PresenceDirectory) {
	ctx := context.Background()
	const org, x = "org_1", "agt_x"
	before, after, err := a.SetConnected(ctx, org, x, true)
	wantTransition(t, "first connection, on a", before, after, err, transition{hub.PresenceOffline, hub.PresenceOnline})
	before, after, err = b.SetConnected(ctx, org, x, true)
	wantTransition(t, "second connection, on b", before, after, err, transition{hub.PresenceOnline, hub.PresenceOnline})
	before, after, err = b.SetAway(ctx, org, x, true)
	wantTransition(t, "away chosen on b", before, after, err, transition{hub.PresenceOnline, hub.PresenceAway})
	wantAgents(t, "node a", a, org, "agt_x:away")
	before, after, err = a.SetConnected(ctx, org, x, false)
	wantTransition(t, "leaves a", before, after, err, transition{hub.PresenceAway, hub.PresenceAway})
	before, after, err = b.SetConnected(ctx, org, x, false)
	wantTransition(t, "leaves b", before, after, err, transition{hub.PresenceAway, hub.PresenceOffline})
	wantAgents(t, "node a after both left", a, org, "")
}

func oneTurnAcrossNodes(t *testing.T, a, b hub.PresenceDirectory) {
	const org, rounds = "org_1", 60
	connect(t, a, org, "agt_1", "agt_2")
	connect(t, b, org, "agt_3")
	counts := countTurns(t, []hub.PresenceDirectory{a, b}, org, rounds)
	want := map[string]int{"agt_1": rounds / 3, "agt_2": rounds / 3, "agt_3": rounds / 3}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("concurrent turns on two nodes: %v, want %v (one shared turn)", counts, want)
	}
}
