package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// seed stores an org with one conversation and returns the conversation.
func seed(t *testing.T, s *Store) storage.Conversation {
	t.Helper()
	ctx := t.Context()
	org := storage.Organization{ID: "org_1", Name: "One", CreatedAt: time.UnixMilli(1_000).UTC()}
	owner := storage.Agent{ID: "agt_1", OrgID: "org_1", Email: "a@one.example", Role: storage.RoleOwner}
	if err := s.CreateOrgWithOwner(ctx, org, owner); err != nil {
		t.Fatal(err)
	}
	c := storage.Conversation{ID: "cnv_1", OrgID: "org_1", VisitorID: "vis_1", WidgetID: "wdg_1"}
	if err := s.CreateConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDurableAcrossReopen(t *testing.T) {
	s, path := openTemp(t)
	c := seed(t, s)
	m := storage.Message{OrgID: c.OrgID, ConversationID: c.ID, ClientID: "c1",
		SenderKind: storage.SenderVisitor, SenderID: "vis_1", Text: "still here after restart"}
	stored, _, err := s.AppendMessage(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	list, err := s2.ListMessages(t.Context(), c.OrgID, c.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0] != stored {
		t.Fatalf("after reopen: %+v, want [%+v]", list, stored)
	}
	found, err := s2.SearchMessages(t.Context(), c.OrgID, "restart", 0)
	if err != nil || len(found) != 1 {
		t.Fatalf("search after reopen: %v, %v", found, err)
	}
	next, created, err := s2.AppendMessage(t.Context(), storage.Message{OrgID: c.OrgID, ConversationID: c.ID,
		ClientID: "c2", SenderKind: storage.SenderAgent, SenderID: "agt_1", Text: "again"})
	if err != nil || !created || next.Seq != 2 {
		t.Fatalf("append after reopen: seq %d created %v err %v, want 2", next.Seq, created, err)
	}
}

const killChildEnv = "HELPR_SQLITE_KILL_CHILD"

// TestAckedWritesSurviveKill runs a child process that appends messages and
// prints "ack N" after each append returns, kills it with SIGKILL after
// some acks, and checks every acknowledged message is in the file.
func TestAckedWritesSurviveKill(t *testing.T) {
	if path := os.Getenv(killChildEnv); path != "" {
		appendUntilKilled(path)
		return
	}
	s, path := openTemp(t)
	c := seed(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestAckedWritesSurviveKill$")
	cmd.Env = append(os.Environ(), killChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	guard := time.AfterFunc(2*time.Minute, func() { _ = cmd.Process.Kill() }) // deadlock guard only
	defer guard.Stop()
	acked := readAcks(t, bufio.NewScanner(out), 25)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	s2, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("open after kill: %v", err)
	}
	defer s2.Close()
	list, err := s2.ListMessages(t.Context(), c.OrgID, c.ID, 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) < acked {
		t.Fatalf("after kill: %d messages stored, %d were acknowledged", len(list), acked)
	}
	for i, m := range list {
		if m.Seq != int64(i+1) || m.ClientID != fmt.Sprint("k", i+1) {
			t.Fatalf("message %d after kill: seq %d client %q", i, m.Seq, m.ClientID)
		}
	}
}

// readAcks reads "ack N" lines until N reaches want and returns N.
func readAcks(t *testing.T, sc *bufio.Scanner, want int) int {
	t.Helper()
	last := 0
	for last < want && sc.Scan() {
		n, ok := strings.CutPrefix(sc.Text(), "ack ")
		if !ok {
			continue // test framework output
		}
		v, err := strconv.Atoi(n)
		if err != nil || v != last+1 {
			t.Fatalf("child printed %q after ack %d", sc.Text(), last)
		}
		last = v
	}
	if last < want {
		t.Fatalf("child stopped after %d acks: %v", last, sc.Err())
	}
	return last
}

// appendUntilKilled is the child side: append, acknowledge, repeat.
func appendUntilKilled(path string) {
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	for i := 1; i <= 10_000; i++ {
		m := storage.Message{OrgID: "org_1", ConversationID: "cnv_1", ClientID: fmt.Sprint("k", i),
			SenderKind: storage.SenderVisitor, SenderID: "vis_1", Text: "durable"}
		if _, _, err := s.AppendMessage(ctx, m); err != nil {
			fmt.Println("append:", err)
			os.Exit(1)
		}
		fmt.Printf("ack %d\n", i)
	}
	os.Exit(0)
}
