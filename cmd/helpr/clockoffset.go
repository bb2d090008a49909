package main

import (
	"fmt"
	"time"

	"github.com/rs/zerolog"
)

// clockOffsetEnv names a fault-testing knob, not a setting: the node's clock
// runs this far ahead of (or, negative, behind) the machine's, for every TTL,
// token expiry and rate window. The fault suite (internal/chaos, case F6)
// uses it to run one node of a cluster with a skewed clock. Never set it in
// production.
const clockOffsetEnv = "HELPR_CLOCK_OFFSET"

// maxClockOffset bounds the knob: a larger skew is a typo, not a test.
const maxClockOffset = 24 * time.Hour

// parseClockOffset reads the value of HELPR_CLOCK_OFFSET: empty means no
// offset, otherwise a Go duration ("2m", "-90s") of at most 24 h either way.
func parseClockOffset(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", clockOffsetEnv, err)
	}
	if d > maxClockOffset || d < -maxClockOffset {
		return 0, fmt.Errorf("%s: %v is beyond ±%v", clockOffsetEnv, d, maxClockOffset)
	}
	return d, nil
}

// offsetClock returns base shifted by d; a nil base is time.Now. With d zero
// it returns base unchanged (nil stays nil: every service's default clock).
func offsetClock(base func() time.Time, d time.Duration) func() time.Time {
	if d == 0 {
		return base
	}
	if base == nil {
		base = time.Now
	}
	return func() time.Time { return base().Add(d) }
}

// applyClockOffset shifts cfg's clock by cfg.clockOffset and says so at warn
// level: a skewed clock is a fault being tested, never a normal run.
func applyClockOffset(cfg Config, log zerolog.Logger) Config {
	if cfg.clockOffset == 0 {
		return cfg
	}
	cfg.now = offsetClock(cfg.now, cfg.clockOffset)
	log.Warn().Str("offset", cfg.clockOffset.String()).
		Msg(clockOffsetEnv + " is set: this node's clock is skewed on purpose (fault testing only)")
	return cfg
}
