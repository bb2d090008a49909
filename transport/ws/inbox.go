package ws

import (
	"github.com/helpr-chat/helpr/hub"
)

// watchActivity (re)starts the agent connection's per-message activity
// watch with scope. It runs on the reader goroutine.
func (c *conn) watchActivity(scope hub.ActivityScope) error {
	cancel, err := c.s.cfg.Hub.WatchActivity(c.actor, c, scope)
	if err != nil {
		return err
	}
	c.stopActivity()
	c.activity = cancel
	return nil
}

// stopActivity ends the activity watch, if any.
func (c *conn) stopActivity() {
	if c.activity != nil {
		c.activity()
		c.activity = nil
	}
}

// setInboxWatch answers inbox.watch: agents only.
func (c *conn) setInboxWatch(scope string) error {
	if isVisitor(c.principal) {
		return hub.ErrForbidden
	}
	return c.watchActivity(hub.ActivityScope(scope))
}
