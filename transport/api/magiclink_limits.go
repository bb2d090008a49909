package api

import (
	"sync"
	"time"
)

// Default limits of the mail-sending sign-in flows (POST /auth/magic-link
// and POST /auth/password/forgot, each counted on its own) and of reset
// attempts. A cluster builds its shared limiters with these numbers.
const (
	DefaultMailLinkAddressLimit  = 3 // per address…
	DefaultMailLinkAddressWindow = 15 * time.Minute
	DefaultMailLinkIPLimit       = 10 // …and per client IP
	DefaultMailLinkIPWindow      = 15 * time.Minute
	DefaultPasswordResetIPLimit  = 10 // POST /auth/password/reset per client IP
	DefaultPasswordResetIPWindow = time.Minute
)

// linkState is the magic-link and password-reset flows' state: their
// windows (like the login limits they guard credentials and fail closed)
// and the work they do after answering.
type linkState struct {
	magicIP, magicAddress   limiter // POST /auth/magic-link
	forgotIP, forgotAddress limiter // POST /auth/password/forgot
	resetIP                 limiter // POST /auth/password/reset
	// pending counts mail requests still being handled after their
	// answer was sent (API.Wait); workers bounds how many run at once.
	pending sync.WaitGroup
	workers chan struct{}
}

// newLinkState builds the link-flow limiters from cfg: a shared limiter
// when one is set, else an in-memory window with the configured numbers
// (the Default* ones where cfg has none), or none when Disabled.
func newLinkState(cfg Config, now func() time.Time) *linkState {
	addr := RateLimit{Limit: DefaultMailLinkAddressLimit, Window: DefaultMailLinkAddressWindow}
	ip := RateLimit{Limit: DefaultMailLinkIPLimit, Window: DefaultMailLinkIPWindow}
	reset := RateLimit{Limit: DefaultPasswordResetIPLimit, Window: DefaultPasswordResetIPWindow}
	return &linkState{workers: make(chan struct{}, maxMailWorkers),
		magicIP:       newLimiter("magic_link_ip", cfg.MagicLinkIPLimiter, cfg.MailLinkIPLimit, ip, now),
		magicAddress:  newLimiter("magic_link_address", cfg.MagicLinkAddressLimiter, cfg.MailLinkAddressLimit, addr, now),
		forgotIP:      newLimiter("password_forgot_ip", cfg.PasswordForgotIPLimiter, cfg.MailLinkIPLimit, ip, now),
		forgotAddress: newLimiter("password_forgot_address", cfg.PasswordForgotAddressLimiter, cfg.MailLinkAddressLimit, addr, now),
		resetIP:       newLimiter("password_reset_ip", cfg.PasswordResetIPLimiter, cfg.PasswordResetIPLimit, reset, now),
	}
}
