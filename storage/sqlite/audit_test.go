package sqlite

import (
	"fmt"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// Two Stores on one file (two processes sharing a data directory, say)
// appending to one organisation at once still form one chain: the head
// read and the insert share an immediate write transaction.
func TestAuditChainTwoStoresOneFile(t *testing.T) {
	a, path := openTemp(t)
	defer a.Close()
	b, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const each = 25
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
}
