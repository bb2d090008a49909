package main

import (
	"flag"
	"fmt"
	"net/netip"
	"strings"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/internal/metrics"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/transport/mail"
	"github.com/helpr-chat/helpr/transport/webhook"
)

// webhookFlags declares --webhook-allow-hosts.
func webhookFlags(fs *flag.FlagSet, c *Config) {
	fs.Func("webhook-allow-hosts", "comma-separated host `names, IPs or CIDRs` webhook endpoints may reach although "+
		"they are loopback or private (e.g. an internal receiver, or 127.0.0.1 in tests); everything else must be public",
		func(v string) error {
			hosts, err := parseAllowHosts(v)
			c.WebhookAllowHosts = hosts
			return err
		})
}

// parseAllowHosts splits a comma list of host names, IP addresses and
// CIDR prefixes, refusing URLs, ports and empty entries.
func parseAllowHosts(v string) ([]string, error) {
	var out []string
	for _, h := range strings.Split(v, ",") {
		h = strings.TrimSpace(h)
		switch {
		case h == "":
			continue
		case strings.Contains(h, "/"):
			if _, err := netip.ParsePrefix(h); err != nil {
				return nil, fmt.Errorf("%q is not a CIDR prefix", h)
			}
		case strings.ContainsAny(h, " @?#") || strings.Contains(h, "://"):
			return nil, fmt.Errorf("%q is not a host name, IP address or CIDR", h)
		}
		out = append(out, h)
	}
	return out, nil
}

// newDispatcher builds the webhook dispatcher over the sealed store: the
// mail queue tells owners about disabled endpoints, the allow list is the
// one the API's save-time check uses too.
func newDispatcher(cfg Config, log zerolog.Logger, store *security.SealedStore, mailer *mail.Queue, reg *metrics.Registry, origin string) (*webhook.Dispatcher, error) {
	wc := webhook.Config{Store: store, Mailer: mailer, Now: cfg.now, Logger: log, AllowHosts: cfg.WebhookAllowHosts,
		Metrics: webhook.NewMetrics(reg), PublicOrigin: origin}
	if cfg.webhookTweak != nil {
		cfg.webhookTweak(&wc)
	}
	d, err := webhook.New(wc)
	if err != nil {
		return nil, fmt.Errorf("--webhook-allow-hosts: %w", err)
	}
	return d, nil
}
