-- 0016: webhook endpoints and their delivery queue (issue 12,
-- storage.WebhookStore).
--
-- secret, previous_secret and body arrive sealed from the security layer.
-- Times are Unix milliseconds; lease_until and the other optional times
-- are NULL when unset. A delivery is due while its status is pending or
-- failed, next_attempt_at <= now and its lease is over; a claim raises
-- attempts and sets lease_until. Every state change is one conditional
-- UPDATE in a write transaction.
CREATE TABLE webhook_endpoints (
	id                    TEXT PRIMARY KEY,
	org_id                TEXT NOT NULL REFERENCES organizations(id),
	url                   TEXT NOT NULL,
	description           TEXT NOT NULL,
	events                TEXT NOT NULL, -- JSON array of event names
	secret                TEXT NOT NULL,
	previous_secret       TEXT NOT NULL,
	previous_secret_until INTEGER,
	enabled               INTEGER NOT NULL,
	disabled_reason       TEXT NOT NULL,
	disabled_at           INTEGER,
	consecutive_failures  INTEGER NOT NULL,
	created_by            TEXT NOT NULL,
	created_at            INTEGER NOT NULL,
	updated_at            INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id, created_at);

CREATE TABLE webhook_deliveries (
	id               TEXT PRIMARY KEY,
	org_id           TEXT NOT NULL,
	endpoint_id      TEXT NOT NULL,
	event            TEXT NOT NULL,
	body             TEXT NOT NULL,
	visitor_id       TEXT NOT NULL,
	status           TEXT NOT NULL,
	attempts         INTEGER NOT NULL,
	next_attempt_at  INTEGER NOT NULL,
	lease_until      INTEGER,
	last_status_code INTEGER NOT NULL,
	last_latency_ms  INTEGER NOT NULL,
	last_error       TEXT NOT NULL,
	created_at       INTEGER NOT NULL,
	delivered_at     INTEGER
);
-- ClaimWebhookDeliveries: the unfinished deliveries by due time.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status IN ('pending', 'failed');
-- ListWebhookDeliveries (cursor, newest first) and DeleteWebhookEndpoint.
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (org_id, endpoint_id, created_at, id);
-- ForgetWebhookVisitor.
CREATE INDEX webhook_deliveries_visitor ON webhook_deliveries (org_id, visitor_id) WHERE visitor_id != '';
