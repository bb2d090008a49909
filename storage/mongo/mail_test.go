package mongo

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/storage"
)

// Two Stores on one database (two nodes) claiming one backlog at once
// never get the same mail: the claim document's unique _id decides, also
// on FerretDB, whose conditional updates are not atomic.
func TestMailClaimsOfTwoStoresNeverShare(t *testing.T) {
	uri, db := testsvc.MongoURI(t), testsvc.MongoDatabase(t)
	nodes := []*Store{openOn(t, uri, db), openOn(t, uri, db)}
	defer nodes[0].Close()
	defer nodes[1].Close()
	const mails = 30
	for i := range mails {
		m := storage.Mail{ID: fmt.Sprintf("mail_%02d", i), Kind: "magic_link", To: "sealed", CreatedAt: at(0), NextAt: at(0)}
		if err := nodes[0].EnqueueMail(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, s := range nodes {
		for range 3 {
			wg.Go(func() {
				<-start
				for {
					got, err := s.ClaimMail(t.Context(), at(1), time.Minute, 2)
					if err != nil {
						t.Errorf("claim: %v", err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, m := range got {
						seen[m.ID]++
					}
					mu.Unlock()
				}
			})
		}
	}
	close(start)
	wg.Wait()
	for id, n := range seen {
		if n != 1 {
			t.Errorf("mail %s claimed %d times under one lease", id, n)
		}
	}
	if len(seen) != mails {
		t.Errorf("claimed %d mails, want %d", len(seen), mails)
	}
}

// A claimer that died between inserting its claim and updating the mail
// leaves the mail due with a claim that expires with its lease: until then
// nobody gets the mail, afterwards the next claimer steps over the dead
// claim.
func TestMailDeadClaimIsSteppedOver(t *testing.T) {
	s := openOn(t, testsvc.MongoURI(t), testsvc.MongoDatabase(t))
	defer s.Close()
	ctx := context.Background()
	m := storage.Mail{ID: storage.NewID("mail"), Kind: "magic_link", To: "sealed", CreatedAt: at(0), NextAt: at(0)}
	if err := s.EnqueueMail(ctx, m); err != nil {
		t.Fatal(err)
	}
	dead := mailClaimDoc{ID: m.ID + ":1", ExpiresAt: at(60)}
	if _, err := s.coll(collMailClaims).InsertOne(ctx, dead); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ClaimMail(ctx, at(59), time.Minute, 1); err != nil || len(got) != 0 {
		t.Fatalf("claim during the dead claim's lease: %+v, %v", got, err)
	}
	got, err := s.ClaimMail(ctx, at(60), time.Minute, 1)
	if err != nil || len(got) != 1 || got[0].Attempts != 2 {
		t.Fatalf("claim after the dead claim's lease: %+v, %v; want attempt 2", got, err)
	}
}
