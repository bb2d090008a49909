package api

import (
	"context"

	"github.com/helpr-chat/helpr/storage"
)

// linksStore is what magic links, password reset and change, and
// invitations use (magiclink*.go, password_*.go, invitations*.go): the
// one-time tokens (Data sealed below) and password hash updates.
type linksStore interface {
	storage.OneTimeStore
	SetAgentPasswordHash(ctx context.Context, orgID, id, hash string) error
}
