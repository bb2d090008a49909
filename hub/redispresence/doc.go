// Package redispresence is the cluster-wide hub.PresenceDirectory: every
// hub node records in Redis which agents are connected to it, so any node
// sees the organisation's online and away agents and picks the next
// assignee in one round-robin shared by all nodes.
//
// # Data model
//
// Per organisation, four keys sharing the hash tag {orgID} (one Redis
// Cluster slot):
//
//	<prefix>{org}:nodes  ZSET  node id → deadline (Unix ms)
//	<prefix>{org}:conns  ZSET  "agentID\x00nodeID", all scores 0 (read by lex range)
//	<prefix>{org}:away   SET   agent ids that chose away (cluster-wide)
//	<prefix>{org}:last   STRING the agent picked last by the round-robin
//
// An agent counts as connected while some node lists it in conns and that
// node's deadline is in the future. Every change, and every heartbeat, is
// one Lua script: status changes return the agent's status before and after
// atomically, and the round-robin reads the online agents and advances
// last in one step, so concurrent assignments on several nodes hand out
// distinct turns.
//
// # Liveness bound
//
// A node writes its deadline (now + TTL, on its own clock) with each change
// and with a heartbeat every Heartbeat (TTL/3 by default) while it has
// connected agents. A node that stops — crash, partition, stall — stops
// counting TTL after its last write: its agents are offline for every other
// node at most TTL (15 s by default) after it stopped. Nodes' clocks must
// agree to well within TTL (NTP). Heartbeats also delete dead nodes'
// entries; a node that comes back rewrites its own with its next
// heartbeat. Close withdraws a node's entries at once (graceful shutdown).
//
// No presence event is published when a dead node's agents expire: the
// view and assignment are correct after the bound, agents' consoles learn
// of it on their next presence read.
//
// # Failures
//
// When Redis fails, calls return the error (the hub then falls back to its
// own node's view) and, for one second, later calls fail fast with
// ErrUnavailable instead of waiting on Redis; the heartbeat keeps trying
// and rewrites the node's full state once Redis answers, so connections
// and disconnections made during an outage (or lost with a Redis restart)
// are repaired within one heartbeat. Away choices are kept only in Redis:
// a Redis that loses its data forgets them, and they expire after 24 h
// without any presence activity in the organisation.
package redispresence
