package presencetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/storage"
)

var singleNodeCases = []singleCase{
	{"StatusTransitions", statusTransitions},
	{"AwayOutlivesConnections", awayOutlivesConnections},
	{"AgentsAreSortedAndScopedToTheOrganisation", agentsSortedAndScoped},
	{"NextAgentTakesTurnsSkippingAway", nextAgentTakesTurns},
	{"NextAgentWithNobodyOnline", nextAgentNobodyOnline},
	{"ConcurrentNextAgentHandsOutDistinctTurns", concurrentNextAgent},
	{"ConcurrentAgentsEachSeeTheirTransition", concurrentAgents},
	{"CancelledContextFails", cancelledContextFails},
}

func statusTransitions(t *testing.T, d hub.PresenceDirectory) {
	ctx := context.Background()
	const org, x = "org_1", "agt_x"
	before, after, err := d.SetConnected(ctx, org, x, true)
	wantTransition(t, "first connection", before, after, err, transition{hub.PresenceOffline, hub.PresenceOnline})
	before, after, err = d.SetAway(ctx, org, x, true)
	wantTransition(t, "chooses away", before, after, err, transition{hub.PresenceOnline, hub.PresenceAway})
	before, after, err = d.SetAway(ctx, org, x, true)
	wantTransition(t, "away again", before, after, err, transition{hub.PresenceAway, hub.PresenceAway})
	before, after, err = d.SetAway(ctx, org, x, false)
	wantTransition(t, "back", before, after, err, transition{hub.PresenceAway, hub.PresenceOnline})
	before, after, err = d.SetConnected(ctx, org, x, false)
	wantTransition(t, "last connection ends", before, after, err, transition{hub.PresenceOnline, hub.PresenceOffline})
	wantAgents(t, "after leaving", d, org, "")
}

func awayOutlivesConnections(t *testing.T, d hub.PresenceDirectory) {
	ctx := context.Background()
	const org, x = "org_1", "agt_x"
	before, after, err := d.SetAway(ctx, org, x, true)
	wantTransition(t, "away while disconnected", before, after, err, transition{hub.PresenceOffline, hub.PresenceOffline})
	wantAgents(t, "away but disconnected", d, org, "")
	before, after, err = d.SetConnected(ctx, org, x, true)
	wantTransition(t, "connects", before, after, err, transition{hub.PresenceOffline, hub.PresenceAway})
	before, after, err = d.SetConnected(ctx, org, x, false)
	wantTransition(t, "leaves", before, after, err, transition{hub.PresenceAway, hub.PresenceOffline})
	before, after, err = d.SetConnected(ctx, org, x, true)
	wantTransition(t, "comes back: the choice was kept", before, after, err, transition{hub.PresenceOffline, hub.PresenceAway})
	wantAgents(t, "back, still away", d, org, "agt_x:away")
}

func agentsSortedAndScoped(t *testing.T, d hub.PresenceDirectory) {
	ctx := context.Background()
	connect(t, d, "org_1", "agt_c", "agt_a", "agt_b")
	connect(t, d, "org_2", "agt_z")
	if _, _, err := d.SetAway(ctx, "org_1", "agt_b", true); err != nil {
		t.Fatal(err)
	}
	wantAgents(t, "org_1", d, "org_1", "agt_a:online agt_b:away agt_c:online")
	wantAgents(t, "org_2", d, "org_2", "agt_z:online")
	wantAgents(t, "an organisation nobody is in", d, "org_3", "")
	list, err := d.Agents(ctx, "org_1")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range list {
		if p.SubjectKind != storage.SubjectAgent {
			t.Errorf("%s listed as %q, want an agent", p.SubjectID, p.SubjectKind)
		}
	}
}

func nextAgentTakesTurns(t *testing.T, d hub.PresenceDirectory) {
	const org = "org_1"
	connect(t, d, org, "agt_3", "agt_1", "agt_2")
	connect(t, d, "org_2", "agt_0") // another organisation's agent never gets org_1's turn
	if _, _, err := d.SetAway(context.Background(), org, "agt_2", true); err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 5 {
		got = append(got, next(t, d, org))
	}
	if want := []string{"agt_1", "agt_3", "agt_1", "agt_3", "agt_1"}; !slices.Equal(got, want) {
		t.Errorf("turns %v, want %v (id order, away skipped, wrapping)", got, want)
	}
	connect(t, d, org, "agt_4") // joins after the last pick: next in id order
	if id := next(t, d, org); id != "agt_3" {
		t.Errorf("after agt_1 with agt_4 online: %q, want agt_3", id)
	}
	if id := next(t, d, org); id != "agt_4" {
		t.Errorf("after agt_3: %q, want agt_4", id)
	}
}

func nextAgentNobodyOnline(t *testing.T, d hub.PresenceDirectory) {
	const org = "org_1"
	if id := next(t, d, org); id != "" {
		t.Errorf("empty directory: NextAgent = %q, want \"\"", id)
	}
	connect(t, d, org, "agt_1")
	if _, _, err := d.SetAway(context.Background(), org, "agt_1", true); err != nil {
		t.Fatal(err)
	}
	if id := next(t, d, org); id != "" {
		t.Errorf("only an away agent: NextAgent = %q, want \"\"", id)
	}
}

func concurrentNextAgent(t *testing.T, d hub.PresenceDirectory) {
	const org, agents, rounds = "org_1", 4, 40
	for i := range agents {
		connect(t, d, org, "agt_"+strconv.Itoa(i))
	}
	counts := countTurns(t, []hub.PresenceDirectory{d}, org, rounds)
	for i := range agents {
		if n := counts["agt_"+strconv.Itoa(i)]; n != rounds/agents {
			t.Errorf("concurrent turns %v: each of %d agents should get %d", counts, agents, rounds/agents)
			return
		}
	}
}

func concurrentAgents(t *testing.T, d hub.PresenceDirectory) {
	const org, agents = "org_1", 16
	var wg sync.WaitGroup
	for i := range agents {
		id := fmt.Sprintf("agt_%02d", i)
		wg.Go(func() {
			before, after, err := d.SetConnected(context.Background(), org, id, true)
			if err != nil || before != hub.PresenceOffline || after != hub.PresenceOnline {
				t.Errorf("%s connects: %s → %s, %v; want offline → online", id, before, after, err)
			}
		})
	}
	wg.Wait()
	list, err := d.Agents(context.Background(), org)
	if err != nil || len(list) != agents {
		t.Errorf("Agents after %d concurrent connections: %d listed, %v", agents, len(list), err)
	}
}

func cancelledContextFails(t *testing.T, d hub.PresenceDirectory) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	const org = "org_1"
	if _, _, err := d.SetConnected(ctx, org, "agt_1", true); !errors.Is(err, context.Canceled) {
		t.Errorf("SetConnected with a cancelled context: %v, want context.Canceled", err)
	}
	if _, _, err := d.SetAway(ctx, org, "agt_1", true); !errors.Is(err, context.Canceled) {
		t.Errorf("SetAway with a cancelled context: %v, want context.Canceled", err)
	}
	if _, err := d.Agents(ctx, org); !errors.Is(err, context.Canceled) {
		t.Errorf("Agents with a cancelled context: %v, want context.Canceled", err)
	}
	if _, err := d.NextAgent(ctx, org); !errors.Is(err, context.Canceled) {
		t.Errorf("NextAgent with a cancelled context: %v, want context.Canceled", err)
	}
	wantAgents(t, "nothing was recorded", d, org, "")
	// The caller gave up, the backend did not fail: the next call works.
	connect(t, d, org, "agt_2")
	wantAgents(t, "a call right after the cancelled ones", d, org, "agt_2:online")
}
