package sqlite

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

func TestCheckpointMode(t *testing.T) {
	tests := []struct {
		size  int64
		dirty bool
		want  string
	}{
		{0, false, ""},
		{100, true, "PASSIVE"},
		{1000, false, ""},
		{1001, false, "TRUNCATE"},
		{1001, true, "TRUNCATE"},
	}
	for _, tt := range tests {
		if got := checkpointMode(tt.size, 1000, tt.dirty); got != tt.want {
			t.Errorf("checkpointMode(%d, 1000, %v) = %q, want %q", tt.size, tt.dirty, got, tt.want)
		}
	}
}

func TestWriterCheckpointAndTempPragmas(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	for q, want := range map[string]int{
		"PRAGMA wal_autocheckpoint": 0, // the checkpointer checkpoints
		"PRAGMA temp_store":         2, // MEMORY: statement journals in memory
	} {
		var got int
		if err := s.w.QueryRowContext(t.Context(), q).Scan(&got); err != nil || got != want {
			t.Errorf("%s = %d, %v; want %d", q, got, err, want)
		}
	}
}

// walSize returns the size of path's WAL file (0 if there is none).
func walSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path + "-wal")
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestCheckpointerBoundsWAL(t *testing.T) {
	const limit = 256 << 10
	small := func(o *options) { o.walHardLimit = limit; o.checkpointEvery = 5 * time.Millisecond }
	s, path := openTemp(t, small)
	seedSearch(t, s)
	seedConversations(t, s, 8)
	const n = 400
	var wg sync.WaitGroup
	for w := range 8 { // a steady load, so PASSIVE checkpoints rarely see the WAL idle
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				m := storage.Message{OrgID: "org_1", ConversationID: fmt.Sprint("cnv_p", i%8), ClientID: fmt.Sprint("w", i),
					SenderKind: storage.SenderVisitor, SenderID: "vis_1", Text: "filling the wal"}
				if _, _, err := s.AppendMessage(t.Context(), m); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	// The checkpointer truncates a WAL over the limit at its next look;
	// the deadline only guards against a stopped checkpointer.
	deadline := time.Now().Add(10 * time.Second)
	for walSize(t, path) > limit {
		if time.Now().After(deadline) {
			t.Fatalf("WAL is %d bytes, want at most %d", walSize(t, path), limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.ckpt.done:
	default:
		t.Fatal("checkpointer still running after Close")
	}

	s2, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	total := 0
	for c := range 8 {
		list, err := s2.ListMessages(t.Context(), "org_1", fmt.Sprint("cnv_p", c), 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		total += len(list)
	}
	if total != n {
		t.Fatalf("%d messages after reopen, want %d", total, n)
	}
}

func TestCheckpointerCopiesWALIntoDatabase(t *testing.T) {
	s, path := openTemp(t, func(o *options) { o.checkpointEvery = 5 * time.Millisecond })
	defer s.Close()
	c := seed(t, s)
	before := dbSize(t, path)
	for i := range 50 {
		m := storage.Message{OrgID: c.OrgID, ConversationID: c.ID, ClientID: fmt.Sprint("p", i),
			SenderKind: storage.SenderVisitor, SenderID: "vis_1", Text: strings.Repeat("passive ", 64)}
		if _, _, err := s.AppendMessage(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	// With auto-checkpoint off, only the checkpointer grows the main file.
	deadline := time.Now().Add(10 * time.Second)
	for dbSize(t, path) <= before {
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes: nothing checkpointed", before)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func dbSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestCheckpointWindowRestartsWAL(t *testing.T) {
	quiet := func(o *options) { o.checkpointEvery = time.Hour; o.noIndexer = true } // no background reader or checkpoint
	s, _ := openTemp(t, quiet)
	defer s.Close()
	c := seed(t, s)
	appendN := func(prefix string, n int) {
		for i := range n {
			m := storage.Message{OrgID: c.OrgID, ConversationID: c.ID, ClientID: fmt.Sprint(prefix, i),
				SenderKind: storage.SenderVisitor, SenderID: "vis_1", Text: "window"}
			if _, _, err := s.AppendMessage(t.Context(), m); err != nil {
				t.Fatal(err)
			}
		}
	}
	frames := func() int {
		_, n, err := s.ckpt.checkpoint(t.Context(), "PASSIVE")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	appendN("a", 50)
	appendN("b", 1)   // no window: the WAL goes on growing (auto-checkpoint is off)
	grown := frames() // copies every frame; the next write restarts the WAL
	if grown < 50 {
		t.Fatalf("WAL has %d frames after 51 appends, want at least 50", grown)
	}
	appendN("c", 50)
	s.ckpt.wantWindow.Store(true)
	appendN("d", 1) // its leader checkpoints first, so its transaction restarts the WAL
	if s.ckpt.wantWindow.Load() {
		t.Fatal("window still wanted after a commit")
	}
	if after := frames(); after >= grown/2 {
		t.Fatalf("WAL has %d frames after the window, want a restarted WAL (51 appends made %d)", after, grown)
	}
}

// TestCloseTwice: Store.Close stays idempotent with the checkpointer.
func TestCloseTwice(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "twice.db"))
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	_ = s.Close()
}
