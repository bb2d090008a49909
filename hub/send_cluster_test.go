package hub

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// beforeAppend is node A's store: it runs hook once, before the first
// append reaches the real store, so a test can land a close between the
// hub's check and its write.
type beforeAppend struct {
	Store
	once sync.Once
	hook func()
}

func (s *beforeAppend) AppendMessageChecked(ctx context.Context, m storage.Message) (storage.Appended, error) {
	s.once.Do(s.hook)
	return s.Store.AppendMessageChecked(ctx, m)
}

// TestSendRefusedWhenClosedOnAnotherNodeAfterItsCheck lands a close on
// node B between node A's authorisation (conversation open) and its
// append: the send is refused with ErrClosed and nothing is stored.
func TestSendRefusedWhenClosedOnAnotherNodeAfterItsCheck(t *testing.T) {
	var c *cluster
	var conv storage.Conversation
	var closeErr error
	c = newCluster(t, 2, Options{}, func(i int, s Store) Store {
		if i != 0 {
			return s
		}
		return &beforeAppend{Store: s, hook: func() {
			_, closeErr = c.hubs[1].Close(context.Background(), c.org.agents[0], conv.ID)
		}}
	})
	v := c.org.visitor()
	conv, err := c.hubs[1].StartConversation(context.Background(), v, c.org.widgetID)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.hubs[0].Send(context.Background(), v, conv.ID, "c1", "after the close")
	wantErr(t, "send on node A after node B closed", err, ErrClosed)
	if closeErr != nil {
		t.Fatalf("close on node B: %v", closeErr)
	}
	msgs, err := c.store.ListMessages(context.Background(), c.org.id, conv.ID, 0, 0)
	if err != nil || len(msgs) != 0 {
		t.Fatalf("stored after the close: %d messages, %v", len(msgs), err)
	}
}

// TestCloseOnNodeBRacesSendsOnNodeA sends from several visitors' and the
// agent's goroutines on node A while node B closes the conversation: every
// acknowledged message has seq <= the LastSeq the close reported, the
// store holds exactly those, each sender is refused with ErrClosed once
// the close is in effect, and a resend of an acknowledged client id after
// the close is answered as a duplicate.
func TestCloseOnNodeBRacesSendsOnNodeA(t *testing.T) {
	c := newCluster(t, 2, Options{}, nil)
	v, agent := c.org.visitor(), c.org.agents[0]
	conv, err := c.hubs[0].StartConversation(context.Background(), v, c.org.widgetID)
	if err != nil {
		t.Fatal(err)
	}
	const senders, most = 4, 2000 // each sends until refused
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		acked = map[string]storage.Message{} // by client id
	)
	for w := range senders {
		who := v
		if w%2 == 1 {
			who = agent
		}
		wg.Go(func() {
			for i := range most {
				id := fmt.Sprintf("s%d-%d", w, i)
				m, dup, err := c.hubs[0].Send(context.Background(), who, conv.ID, id, "racing "+id)
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil || dup {
					t.Errorf("send %s: duplicate %v, %v", id, dup, err)
					return
				}
				mu.Lock()
				acked[id] = m
				mu.Unlock()
			}
			t.Errorf("sender %d: %d sends and never refused", w, most)
		})
	}
	waitFor(t, "a few messages before the close", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 5
	})
	closed, err := c.hubs[1].Close(context.Background(), agent, conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	_, _, err = c.hubs[0].Send(context.Background(), v, conv.ID, "late", "after the close")
	wantErr(t, "send after the close", err, ErrClosed)

	for id, m := range acked {
		if m.Seq > closed.LastSeq {
			t.Errorf("message %s acknowledged with seq %d after the close at LastSeq %d", id, m.Seq, closed.LastSeq)
		}
	}
	stored := listAll(t, c.store, c.org.id, conv.ID)
	if len(stored) != len(acked) || int64(len(stored)) != closed.LastSeq {
		t.Errorf("%d messages stored, %d acknowledged, LastSeq %d at the close", len(stored), len(acked), closed.LastSeq)
	}
	for id, m := range acked {
		who := Actor{OrgID: m.OrgID, Kind: storage.SubjectKind(m.SenderKind), ID: m.SenderID}
		again, dup, err := c.hubs[0].Send(context.Background(), who, conv.ID, id, "resend")
		if err != nil || !dup || again.Seq != m.Seq {
			t.Errorf("resend of %s after the close: seq %d duplicate %v, %v; want the stored seq %d as a duplicate",
				id, again.Seq, dup, err, m.Seq)
		}
	}
}

// listAll returns every message of a conversation, paging.
func listAll(t *testing.T, s storage.Store, orgID, conversationID string) []storage.Message {
	t.Helper()
	var all []storage.Message
	for {
		page, err := s.ListMessages(context.Background(), orgID, conversationID, int64(len(all)), 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
	}
}
