// Package chaos is helpr's fault-injection regression suite. Its tests start
// real `helpr serve` processes (a cluster sharing one Redis and one
// MongoDB-wire server), drive them with clients that behave like the widget
// (reconnect to a surviving node, resume by sequence, resend unacked
// messages with the same client id), inject one fault per case and check
// that every acknowledged message reaches every peer exactly once and in
// order. Each case prints one line:
//
//	F5 node-kill-9 sent=60 acked=60 delivered=60 lost=0 duplicated=0 reordered=0 recovery=1.2s
//
// `go test ./internal/chaos/` runs the fast cases (F3, F5 single kill);
// HELPR_CHAOS=all (or -chaos) runs every case F1–F8 (`make chaos`).
// docs/reliability.md records what the cases measure.
package chaos
