package main

import "time"

// Result is one scenario run: what `--json` writes, what `--html` renders
// and what `compare` reads. Field names are the JSON contract; add fields,
// never rename them.
type Result struct {
	Scenario string            `json:"scenario"` // connect, idle, rooms, fanout, login, cluster, or floor-*
	Target   string            `json:"target"`   // base URL(s) of the server(s) measured
	Started  time.Time         `json:"started"`
	Seconds  float64           `json:"seconds"` // measured duration (ramp excluded)
	Params   map[string]string `json:"params"`  // the flags that shaped the run
	Machine  Machine           `json:"machine"`

	Counts  Counts                 `json:"counts"`
	Rates   map[string]float64     `json:"rates"`   // e.g. "connects_per_s", "messages_per_s", "deliveries_per_s", "logins_per_s"
	Latency map[string]Percentiles `json:"latency"` // e.g. "e2e", "ack", "connect", "login", "refresh"
	Server  *ServerStats           `json:"server,omitempty"`
	Harness *HarnessStats          `json:"harness,omitempty"` // the harness's own CPU over the measured period

	// SetupSeconds is how long connection set-up took before the measured
	// period; Drops counts dropped connections by close code and reason
	// ("no close frame" when the socket ended without one).
	SetupSeconds float64          `json:"setup_seconds,omitempty"`
	Drops        map[string]int64 `json:"drops,omitempty"`

	// Timeline holds one sample per second: rates and latency percentiles
	// over that second (plots of throughput and latency over time).
	Timeline []Sample `json:"timeline"`

	// Floor is the same scenario against `helpr-bench floor-server` in the
	// same run, and Ratios helpr's figure over the floor's for each key
	// ("messages_per_s", "e2e_p99", "bytes_per_conn", …).
	Floor  *Result            `json:"floor,omitempty"`
	Ratios map[string]float64 `json:"ratios,omitempty"`

	// Verified is true when every correctness check passed: no loss, no
	// duplicate, no reorder, every ack received. Violations says what broke.
	Verified   bool     `json:"verified"`
	Violations []string `json:"violations,omitempty"`
}

// Counts are the run's totals.
type Counts struct {
	Connections int64 `json:"connections"`
	Errors      int64 `json:"errors"`
	Sent        int64 `json:"sent"`
	Acked       int64 `json:"acked"`
	Delivered   int64 `json:"delivered"`
	Lost        int64 `json:"lost"`
	Duplicates  int64 `json:"duplicates"`
	Reordered   int64 `json:"reordered"`
	Dropped     int64 `json:"dropped"`     // connections dropped by the server or the network (not loss)
	Reconnected int64 `json:"reconnected"` // of those, reconnected and resumed
	Pushback    int64 `json:"pushback"`    // sends answered overloaded or rate_limited and resent
	Replayed    int64 `json:"replayed"`    // messages received again by a resume, ignored
}

// Percentiles of one latency distribution, in milliseconds (from an HDR
// histogram with microsecond resolution).
type Percentiles struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p999_ms"`
	Max   float64 `json:"max_ms"`
}

// ServerStats are read from /proc/PID/status and /proc/PID/stat when the
// server's pid is given (--server-pid).
type ServerStats struct {
	RSSBytes     int64   `json:"rss_bytes"`
	BytesPerConn float64 `json:"bytes_per_conn"` // RSS growth over the run / connections held
	CPUPercent   float64 `json:"cpu_percent"`    // over the measured period (100 = one core)
	CPUSeconds   float64 `json:"cpu_seconds"`    // CPU time over the measured period
	MicrosPerMsg float64 `json:"us_per_msg"`     // CPU µs per acked message (0: none acked)
}

// HarnessStats are the harness process's own CPU over the measured period
// (getrusage): on a shared machine what it takes is not the server's.
type HarnessStats struct {
	CPUPercent   float64 `json:"cpu_percent"` // 100 = one core
	CPUSeconds   float64 `json:"cpu_seconds"`
	MicrosPerMsg float64 `json:"us_per_msg"` // CPU µs per acked message, both deliveries included
}

// Machine describes where the run happened.
type Machine struct {
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
}

// Sample is one second of the run.
type Sample struct {
	T     float64            `json:"t"`     // seconds since the measured start
	Rates map[string]float64 `json:"rates"` // per-second rates
	P50   map[string]float64 `json:"p50_ms"`
	P99   map[string]float64 `json:"p99_ms"`
}
