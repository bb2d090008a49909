package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// runLogin is `login`: --conns workers sign in with a password and refresh
// the tokens they got, in turn, for --duration. Every call must succeed
// (run the server with --no-auth-rate-limits).
func runLogin(ctx context.Context, r *runner) error {
	cfg := r.cfg
	r.baseline()
	t, err := provision(ctx, r.rest[0], cfg.orgEmail, cfg.password, max(1, cfg.agents))
	if err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	r.beginMeasure()
	var wg sync.WaitGroup
	for w := 0; w < cfg.conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.loginLoop(sctx, r.rest[w%len(r.rest)], t.Emails[w%len(t.Emails)], t.Password)
		}()
	}
	wg.Wait()
	r.endMeasure(0)
	return nil
}

// loginLoop signs in and refreshes until ctx ends.
func (r *runner) loginLoop(ctx context.Context, c *restClient, email, password string) {
	for ctx.Err() == nil {
		start := time.Now()
		tk, err := c.login(ctx, email, password)
		if r.loginFailed(ctx, "login", err) {
			continue
		}
		r.m.add(cLogins, 1)
		r.m.observe(lLogin, time.Since(start))
		start = time.Now()
		_, err = c.refresh(ctx, tk.Refresh)
		if r.loginFailed(ctx, "refresh", err) {
			continue
		}
		r.m.add(cRefreshes, 1)
		r.m.observe(lRefresh, time.Since(start))
	}
}

// loginFailed records a failure (not the end of the run) and pauses briefly
// so a failing server is not hammered.
func (r *runner) loginFailed(ctx context.Context, what string, err error) bool {
	if err == nil {
		return false
	}
	if ctx.Err() != nil {
		return true
	}
	r.m.add(cErrors, 1)
	r.v.fail(what+"_failed", fmt.Sprintf("%s: %v", what, err))
	sleepFor(ctx, 50*time.Millisecond)
	return true
}

// sleepFor waits d or until ctx ends.
func sleepFor(ctx context.Context, d time.Duration) { sleepUntil(ctx, time.Now().Add(d)) }
