package webhook

import (
	"time"

	"github.com/helpr-chat/helpr/internal/metrics"
)

// Metrics are the dispatcher's series (internal/metrics conventions:
// label values from small fixed sets). A nil *Metrics counts nothing.
type Metrics struct {
	// Emitted is helpr_webhook_deliveries_queued_total.
	Emitted *metrics.Counter
	// Attempts is helpr_webhook_attempts_total{outcome}: outcome is
	// delivered, failed (to be retried), dead, gone (410) or skipped.
	Attempts *metrics.CounterVec
	// Latency is helpr_webhook_latency_total{band}: attempts that got an
	// answer, by latency band (0.1, 0.5, 1, 5, 10 seconds or +Inf: the
	// smallest bound at or above the latency; bands do not accumulate).
	Latency *metrics.CounterVec
	// LatencyMs is helpr_webhook_latency_milliseconds_total, the summed
	// latency of those attempts (with Latency: the mean).
	LatencyMs *metrics.Counter
	// Disabled is helpr_webhook_endpoints_disabled_total{reason}.
	Disabled *metrics.CounterVec
}

// NewMetrics registers the webhook series on r.
func NewMetrics(r *metrics.Registry) *Metrics {
	return &Metrics{
		Emitted:   r.Counter("helpr_webhook_deliveries_queued_total", "Webhook deliveries queued.").With(),
		Attempts:  r.Counter("helpr_webhook_attempts_total", "Webhook delivery attempts, by outcome.", "outcome"),
		Latency:   r.Counter("helpr_webhook_latency_total", "Answered webhook attempts, by latency band in seconds.", "band"),
		LatencyMs: r.Counter("helpr_webhook_latency_milliseconds_total", "Summed latency of answered webhook attempts.").With(),
		Disabled:  r.Counter("helpr_webhook_endpoints_disabled_total", "Webhook endpoints disabled, by reason.", "reason"),
	}
}

func (m *Metrics) emitted(n int) {
	if m != nil {
		m.Emitted.Add(uint64(n))
	}
}

func (m *Metrics) attempt(outcome string) {
	if m != nil {
		m.Attempts.With(outcome).Inc()
	}
}

// latencyBands are the upper bounds of Latency's bands.
var latencyBands = []struct {
	max   time.Duration
	label string
}{
	{100 * time.Millisecond, "0.1"}, {500 * time.Millisecond, "0.5"}, {time.Second, "1"},
	{5 * time.Second, "5"}, {10 * time.Second, "10"},
}

func (m *Metrics) latency(d time.Duration) {
	if m == nil {
		return
	}
	m.LatencyMs.Add(uint64(d.Milliseconds()))
	label := "+Inf"
	for _, b := range latencyBands {
		if d <= b.max {
			label = b.label
			break
		}
	}
	m.Latency.With(label).Inc()
}

func (m *Metrics) disabled(reason string) {
	if m != nil {
		m.Disabled.With(reason).Inc()
	}
}
