package main

import (
	"time"

	"github.com/helpr-chat/helpr/security/redislimit"
	"github.com/helpr-chat/helpr/transport/api"
)

// linkLimiters are the magic-link and password-reset windows shared
// through Redis (all nil on a single node: each API keeps its own).
type linkLimiters struct {
	magicIP, magicAddress   api.Limiter
	forgotIP, forgotAddress api.Limiter
	resetIP                 api.Limiter
}

// linkLimiters returns the cluster-wide windows of the mail-sending
// sign-in flows, with the api.Default* numbers and one key prefix each.
// Like the login limiters they fail closed.
func (c *cluster) linkLimiters(now func() time.Time) linkLimiters {
	if c == nil {
		return linkLimiters{}
	}
	w := func(name string, limit int, window time.Duration) api.Limiter {
		return redislimit.New(c.rdb, "helpr:rl:"+name, limit, window, now)
	}
	return linkLimiters{
		magicIP:       w("magic_link_ip", api.DefaultMailLinkIPLimit, api.DefaultMailLinkIPWindow),
		magicAddress:  w("magic_link_address", api.DefaultMailLinkAddressLimit, api.DefaultMailLinkAddressWindow),
		forgotIP:      w("password_forgot_ip", api.DefaultMailLinkIPLimit, api.DefaultMailLinkIPWindow),
		forgotAddress: w("password_forgot_address", api.DefaultMailLinkAddressLimit, api.DefaultMailLinkAddressWindow),
		resetIP:       w("password_reset_ip", api.DefaultPasswordResetIPLimit, api.DefaultPasswordResetIPWindow),
	}
}
