package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// UserAgent is sent with every delivery.
const UserAgent = "helpr-webhooks/1"

// sendResult is what one POST came to.
type sendResult struct {
	code    int // 0 when no answer came
	latency time.Duration
	err     string // short reason, never the answer's body
}

func (r sendResult) answered() bool { return r.code != 0 }

// secretsAt returns the secrets to sign with at now: the current one, and
// the previous one while its rotation overlap runs.
func secretsAt(e storage.WebhookEndpoint, now time.Time) []string {
	s := []string{e.Secret}
	if e.PreviousSecret != "" && now.Before(e.PreviousSecretUntil) {
		s = append(s, e.PreviousSecret)
	}
	return s
}

// send POSTs the delivery's body to the endpoint, signed, reads at most
// MaxResponseBytes of the answer and reports the outcome.
func (d *Dispatcher) send(ctx context.Context, e storage.WebhookEndpoint, del storage.WebhookDelivery) sendResult {
	if _, err := parseEndpointURL(e.URL); err != nil {
		return sendResult{err: "invalid url"}
	}
	body := []byte(del.Body)
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(body))
	if err != nil {
		return sendResult{err: "invalid url"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	now := d.cfg.Now()
	req.Header.Set("X-Helpr-Signature", SignatureHeader(secretsAt(e, now), now, body))
	req.Header.Set("X-Helpr-Delivery", del.ID)
	req.Header.Set("X-Helpr-Event", del.Event)
	start := time.Now()
	resp, err := d.client.Do(req)
	if err != nil {
		return sendResult{latency: time.Since(start), err: reasonOf(err)}
	}
	defer resp.Body.Close()
	// The answer's status is what counts; its body is drained (capped) only
	// so the connection can be reused, and a slow body does not undo it.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, d.cfg.MaxResponseBytes))
	r := sendResult{code: resp.StatusCode, latency: time.Since(start)}
	d.cfg.Metrics.latency(r.latency)
	switch {
	case r.code >= 300 && r.code < 400:
		r.err = "redirect not followed"
	case r.code >= 300:
		r.err = "HTTP " + strconv.Itoa(r.code)
	}
	return r
}

// reasonOf reduces a transport error to a short, fixed reason.
func reasonOf(err error) string {
	var ne net.Error
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, ErrAddressRefused):
		return "destination address refused"
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.As(err, &dnsErr):
		return "dns lookup failed"
	case isTLS(err):
		return "tls error"
	}
	return "connection failed"
}
