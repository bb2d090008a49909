package ws

import (
	"context"
	"errors"

	"github.com/helpr-chat/helpr/security"
)

// idleResult is the outcome of the sweeper's token check of one connection.
type idleResult int

const (
	idleOK       idleResult = iota // still authorised, as the cache tells
	idleQueued                     // handed to the re-validation pool
	idleDeferred                   // the pool's queue was full: check again at the next visit
	idleClosed                     // the connection was ended
)

// idleCheck is the sweeper's token check of an idle connection, and makes
// no store call: the token's expiry comes from the principal cached on the
// connection (4003 at or after it, by the injected clock), then the session
// cache answers; a grant the cache cannot vouch for (stale in a cluster, or
// evicted) is handed to the server's re-validation pool, which reads the
// store once per token for all its connections (Server.revalidated).
// Revocations made on this node, or announced by another, have already
// closed the connection through the OnRevoke push.
func (c *conn) idleCheck() idleResult {
	hash, expires := c.currentGrant()
	if !c.s.cfg.Now().Before(expires) {
		c.fail(closeFor(c.tokenRefused("revalidate", security.ErrTokenExpired)))
		return idleClosed
	}
	_, err := c.s.cfg.Sessions.ValidateCached(hash)
	switch {
	case err == nil:
		return idleOK
	case errors.Is(err, security.ErrNotCached):
		if c.s.revalidate.submit(hash, c) {
			return idleQueued
		}
		return idleDeferred
	default:
		c.fail(closeFor(c.tokenRefused("revalidate", err)))
		return idleClosed
	}
}

// newServerRevalidator is the pool behind idleCheck: it re-validates
// through the session cache and store (ValidateHash) and hands each result
// to every connection that waited on it.
func newServerRevalidator(s *Server) *revalidator {
	validate := func(ctx context.Context, hash [32]byte) error {
		_, err := s.cfg.Sessions.ValidateHash(ctx, hash)
		return err
	}
	return newRevalidator(revalidateWorkers, revalidateQueue, validate, s.revalidated)
}

// revalidated applies a pool re-validation of hash to c: a token that no
// longer authorises closes c (4001/4002/4003), a store that did not answer
// closes it with 1013 (retry; no sign-out), as the reader's check would. A
// connection that has since moved to another token (re-auth) is left alone:
// its new token has its own schedule.
func (s *Server) revalidated(c *conn, hash [32]byte, err error) {
	if err == nil || c.ended() || c.currentToken() != hash {
		return
	}
	c.fail(closeFor(c.tokenRefused("revalidate", err)))
}
