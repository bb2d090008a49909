package security

import (
	"context"
	"fmt"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// The storage.OneTimeStore methods of SealedStore: OneTime.Data is sealed
// on the way in and opened on the way out (it can hold an invitee's email
// or a ceremony's session data); every other field (ids and code hashes
// are hashes already, the rest is bookkeeping) passes through.

// fieldOneTimeData names OneTime.Data in the associated data of its
// sealed form.
const fieldOneTimeData = "onetime.data"

// oneTimeRecord is the record id Data is bound to: its purpose and id, so
// a sealed value copied onto another token (or another kind of token)
// does not open.
func oneTimeRecord(purpose storage.OneTimePurpose, id string) string {
	return string(purpose) + "/" + id
}

// sealOneTime returns o with Data sealed under the current pii key ("" stays "").
func sealOneTime(c *FieldCipher, o storage.OneTime) (storage.OneTime, error) {
	if o.Purpose == "" || o.ID == "" {
		return storage.OneTime{}, fmt.Errorf("seal one-time token: empty purpose or id")
	}
	sealed, err := c.Seal(o.Data, oneTimeRecord(o.Purpose, o.ID), fieldOneTimeData)
	if err != nil {
		return storage.OneTime{}, err
	}
	o.Data = sealed
	return o, nil
}

// openOneTime returns o with Data opened.
func openOneTime(c *FieldCipher, o storage.OneTime) (storage.OneTime, error) {
	plain, err := c.Open(o.Data, oneTimeRecord(o.Purpose, o.ID), fieldOneTimeData)
	if err != nil {
		return storage.OneTime{}, err
	}
	o.Data = plain
	return o, nil
}

// PutOneTime seals t.Data and stores t.
func (s *SealedStore) PutOneTime(ctx context.Context, t storage.OneTime) error {
	sealed, err := sealOneTime(s.c, t)
	if err != nil {
		return fmt.Errorf("put one-time: %w", err)
	}
	return s.inner.PutOneTime(ctx, sealed)
}

// GetOneTime returns the token with Data opened.
func (s *SealedStore) GetOneTime(ctx context.Context, purpose storage.OneTimePurpose, id string) (storage.OneTime, error) {
	return s.openedOneTime(s.inner.GetOneTime(ctx, purpose, id))
}

// ChargeOneTimeAttempt returns the charged token with Data opened.
func (s *SealedStore) ChargeOneTimeAttempt(ctx context.Context, purpose storage.OneTimePurpose, id string, now time.Time) (storage.OneTime, error) {
	return s.openedOneTime(s.inner.ChargeOneTimeAttempt(ctx, purpose, id, now))
}

// ConsumeOneTime returns the consumed token with Data opened.
func (s *SealedStore) ConsumeOneTime(ctx context.Context, purpose storage.OneTimePurpose, id string, now time.Time) (storage.OneTime, error) {
	return s.openedOneTime(s.inner.ConsumeOneTime(ctx, purpose, id, now))
}

// openedOneTime opens the Data of a backend's answer, keeping its error.
func (s *SealedStore) openedOneTime(o storage.OneTime, err error) (storage.OneTime, error) {
	if err != nil {
		return storage.OneTime{}, err
	}
	if o, err = openOneTime(s.c, o); err != nil {
		return storage.OneTime{}, fmt.Errorf("one-time token: %w", err)
	}
	return o, nil
}

// ListOneTime returns the tokens with Data opened.
func (s *SealedStore) ListOneTime(ctx context.Context, orgID string, purpose storage.OneTimePurpose, now time.Time) ([]storage.OneTime, error) {
	list, err := s.inner.ListOneTime(ctx, orgID, purpose, now)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i], err = openOneTime(s.c, list[i]); err != nil {
			return nil, fmt.Errorf("list one-time: %w", err)
		}
	}
	return list, nil
}

// RevokeOneTime passes through: it carries no Data.
func (s *SealedStore) RevokeOneTime(ctx context.Context, orgID string, purpose storage.OneTimePurpose, id string, now time.Time) error {
	return s.inner.RevokeOneTime(ctx, orgID, purpose, id, now)
}

// RevokeOneTimeForSubject passes through: it carries no Data.
func (s *SealedStore) RevokeOneTimeForSubject(ctx context.Context, orgID, subjectID string, purposes []storage.OneTimePurpose, now time.Time) (int, error) {
	return s.inner.RevokeOneTimeForSubject(ctx, orgID, subjectID, purposes, now)
}

// DeleteExpiredOneTime passes through: it carries no Data.
func (s *SealedStore) DeleteExpiredOneTime(ctx context.Context, before time.Time) (int, error) {
	return s.inner.DeleteExpiredOneTime(ctx, before)
}
