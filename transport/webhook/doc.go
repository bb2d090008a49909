// Package webhook sends helpr's signed event notifications to the URLs
// organisations register (storage.WebhookEndpoint).
//
// Emit stores one durable delivery per enabled endpoint subscribed to the
// event (cheaply refusing when none is: a short per-organisation cache);
// Run's workers claim due deliveries with a lease (cluster-safe: a
// delivery is sent by one node at a time), POST them signed
// (X-Helpr-Signature "t=<unix>,v1=<hex>", see Sign) and record the
// outcome, retrying with exponential backoff and jitter for about a day
// before giving up. An endpoint is disabled by a 410 answer or its 100th
// failure in a row; the organisation's owners are mailed and the event
// audited.
//
// Every connection is checked on the IP address actually dialled
// (net.Dialer.Control): loopback, private, link-local, CGNAT, unspecified,
// multicast and cloud-metadata addresses are refused unless
// Config.AllowHosts lists them, so a name that resolves (or re-resolves)
// to an internal address cannot be used to reach the hub's network.
// Redirects are never followed.
package webhook
