package mongo

import (
	"context"
	"fmt"
	"hash/fnv"
)

// convStripes is the number of conversation locks; conversations sharing
// a stripe merely queue behind each other.
const convStripes = 256

// convLocks queue one Store's writes to a conversation, striped by the
// hash of its id: its appends never race each other for a sequence number
// (appends of other nodes are arbitrated by the unique index), and its
// updates of the conversation document never interleave (see doc.go on
// FerretDB). Each stripe is a one-slot channel, so waiting respects the
// caller's deadline.
type convLocks [convStripes]chan struct{}

func newConvLocks() convLocks {
	var l convLocks
	for i := range l {
		l[i] = make(chan struct{}, 1)
	}
	return l
}

// lockConversation takes the write lock of conversation id, or fails when
// ctx ends first, and returns its release.
func (s *Store) lockConversation(ctx context.Context, id string) (unlock func(), err error) {
	return s.lockStripe(ctx, id, "conversation "+id)
}

// lockStripe takes this Store's lock stripe of key (the conversation
// stripes, shared by every kind of record: stripes only queue), or fails
// when ctx ends first naming what it waited for, and returns its release.
// Each kind prefixes its keys ("mfa:", "onetime:", …) so kinds spread.
func (s *Store) lockStripe(ctx context.Context, key, what string) (unlock func(), err error) {
	h := fnv.New32a()
	h.Write([]byte(key))
	slot := s.locks[h.Sum32()%convStripes]
	select {
	case slot <- struct{}{}:
		return func() { <-slot }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for %s: %w", what, ctx.Err())
	}
}
