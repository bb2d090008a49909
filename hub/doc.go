// Package hub is helpr's real-time core: conversation rooms, ordered durable
// delivery with gap replay on join, conversation assignment, typing, read
// receipts and presence.
//
// The hub sits between the WebSocket layer and storage. Every chat action
// goes through a Hub method that authorises the Actor (tenant-scoped by its
// organisation), writes through the Store when the action is durable, and
// publishes an Event. Each event is encoded once through the injected Codec
// and the same bytes are handed, as a Frame, to every Subscriber of the
// event's channel:
//
//   - a conversation's room: the connections that joined it (Join);
//   - an organisation's inbox: agents' connections (SubscribeInbox), which
//     receive conversation and presence events of the whole organisation.
//
// Delivery never blocks on a client: Subscriber.Deliver must return at once
// (the connection owns a bounded queue and disconnects itself when slow).
//
// Messages of one conversation are published in sequence order: a room lock
// is held across the store append and the publication. A Membership tracks
// the highest message sequence it delivered and drops anything at or below
// it, so Join(afterSeq) hands a reconnecting client exactly its gap, in
// order, once — even while messages are being sent concurrently.
//
// With a Broker in Options, several hub nodes share rooms: each delivers
// locally and publishes to the broker for the others, and a node subscribes
// to a channel only while it has a local member. Pub/sub is at-most-once
// and every node publishes the messages it stores, so each conversation
// room with local members keeps the highest sequence it delivered: a
// duplicate is dropped, the next sequence goes out at once, and a later
// one reveals a gap, filled from the store (encoded once, in order) before
// anything after it. A loss that no later message reveals is caught by a
// sweep that compares each such room with the conversation's stored last
// sequence — at once after the broker reconnects (Resubscriber), and every
// SweepInterval (5 s) otherwise. So every member on every node receives
// each message once, in sequence order, with no gap: lost payloads are
// late (until the next message, the reconnect sweep, or at most one
// SweepInterval plus one sweep pass), never missing.
//
// Agents' presence and round-robin assignment go through a
// PresenceDirectory: per node by default (NewMemoryPresence), cluster-wide
// with hub/redispresence.
//
// A single-node hub starts no goroutines. With a Broker, one sweep
// goroutine runs while some room has local members, and short-lived
// goroutines fill gaps. All methods are safe for concurrent use.
package hub
