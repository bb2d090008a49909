package mongo

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/storage"
)

// Two nodes (two Stores on one database, no lock in common) appending to
// one organisation at once form one chain: the unique link index lets one
// insert take each place, and the loser retries after the new head.
func TestAuditChainTwoNodes(t *testing.T) {
	a, db := openFresh(t)
	defer a.Close()
	b := openOn(t, testsvc.MongoURI(t), db)
	defer b.Close()
	const each = 15
	var wg sync.WaitGroup
	for i, s := range []*Store{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				e := storage.AuditEvent{ID: fmt.Sprintf("aud_%d_%d", i, j), OrgID: "org_a", Action: "auth.login"}
				if err := s.AppendAudit(t.Context(), e); err != nil {
					t.Errorf("append: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	n, brk, err := storage.VerifyAuditChain(t.Context(), b, "org_a")
	if err != nil || brk != nil || n != 4*each {
		t.Fatalf("chain: %d events, %v, %v", n, brk, err)
	}
	if err := a.AppendAudit(t.Context(), storage.AuditEvent{ID: "aud_0_0", OrgID: "org_a", Action: "x"}); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("append of a taken id: %v, want ErrConflict", err)
	}
}
