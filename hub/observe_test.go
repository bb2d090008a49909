package hub

import (
	"sync"
	"testing"
	"time"
)

// observations is an Observer keeping every report.
type observations struct {
	mu         sync.Mutex
	appends    []time.Duration
	recipients []int
}

func (o *observations) AppendDone(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.appends = append(o.appends, d)
}

func (o *observations) FanoutDone(recipients int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.recipients = append(o.recipients, recipients)
}

func TestObserverTimesAppendsAndFanout(t *testing.T) {
	t.Parallel()
	o := &observations{}
	e := newEnv(t, 1, Options{Observer: o})
	v := e.org.visitor()
	c := e.start(t, v)
	e.join(t, v, c.ID, 0)
	e.join(t, e.org.agents[0], c.ID, 0)
	e.send(t, v, c.ID, "m1")
	e.send(t, v, c.ID, "m1") // a resend appends again (dup), fans out nothing
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.appends) != 2 || o.appends[0] <= 0 {
		t.Fatalf("appends observed %v, want 2 positive", o.appends)
	}
	if len(o.recipients) == 0 || o.recipients[len(o.recipients)-1] != 2 {
		t.Fatalf("fan-outs observed to %v members, want the last to 2", o.recipients)
	}
}

func TestNoObserverKeepsTheStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, Options{})
	if e.hub.store != Store(e.store) {
		t.Fatal("without an Observer the hub wrapped its store")
	}
}
