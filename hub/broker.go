package hub

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
)

// Broker carries encoded events between hub nodes (Redis pub/sub in
// production, NewMemoryBroker in one process).
//
// Publish hands payload to every subscriber of channel on every node, the
// publisher's own included (the hub ignores its own payloads). Delivery is
// at-most-once; payloads one node publishes sequentially on one channel
// reach each subscriber in that order. Publish must not block on
// subscribers, must not keep payload after it returns, and returns an error
// only when the payload could not be handed over.
//
// Subscribe registers fn for channel and returns once the subscription is
// active: every payload published afterwards reaches fn, barring transport
// loss. fn must not block; it may run on any goroutine, but calls for one
// subscription are sequential. The payload given to fn is fn's to keep and
// is never modified. unsubscribe is idempotent; once it returns, fn is not
// called again. A nil fn is an error. On error, nothing is subscribed.
//
// hub/brokertest is the conformance suite of this contract.
//
// All methods are safe for concurrent use.
type Broker interface {
	Publish(ctx context.Context, channel string, payload []byte) error
	Subscribe(channel string, fn func(payload []byte)) (unsubscribe func(), err error)
}

// Resubscriber is an optional Broker extension for brokers whose
// connection to the other nodes can drop (Redis). The broker calls every fn
// registered with OnResubscribe after a loss of that connection, once every
// subscription is active again: payloads published in between may have been
// lost, and the hub recovers them from storage by sequence.
type Resubscriber interface {
	OnResubscribe(fn func())
}

// payloadVersion is the first byte of every broker payload.
const payloadVersion = 1

var errBadPayload = errors.New("hub: malformed broker payload")

// encodePayload frames f for the broker: version, origin node id,
// conversation id, sequence, then the encoded event bytes.
func encodePayload(origin string, f Frame) []byte {
	b := make([]byte, 0, 1+3*binary.MaxVarintLen64+len(origin)+len(f.ConversationID)+len(f.Data))
	b = append(b, payloadVersion)
	b = binary.AppendUvarint(b, uint64(len(origin)))
	b = append(b, origin...)
	b = binary.AppendUvarint(b, uint64(len(f.ConversationID)))
	b = append(b, f.ConversationID...)
	b = binary.AppendVarint(b, f.Seq)
	return append(b, f.Data...)
}

// decodePayload parses what encodePayload wrote. The frame's Data aliases p.
func decodePayload(p []byte) (origin string, f Frame, err error) {
	if len(p) == 0 || p[0] != payloadVersion {
		return "", Frame{}, errBadPayload
	}
	p = p[1:]
	if origin, p, err = readString(p); err != nil {
		return "", Frame{}, err
	}
	if f.ConversationID, p, err = readString(p); err != nil {
		return "", Frame{}, err
	}
	seq, n := binary.Varint(p)
	if n <= 0 || seq < 0 {
		return "", Frame{}, errBadPayload
	}
	f.Seq, f.Data = seq, p[n:]
	return origin, f, nil
}

// readString reads a uvarint-length-prefixed string.
func readString(p []byte) (string, []byte, error) {
	l, n := binary.Uvarint(p)
	if n <= 0 || l > uint64(len(p)-n) {
		return "", nil, errBadPayload
	}
	end := n + int(l)
	return string(p[n:end]), p[end:], nil
}

// forward publishes f to the other nodes. The event is already delivered
// locally (and stored, for messages), so a failure is only reported: the
// other nodes recover lost messages from the store (see route and the
// sweep).
func (h *Hub) forward(ctx context.Context, channel string, f Frame) {
	if h.broker == nil {
		return
	}
	err := h.broker.Publish(context.WithoutCancel(ctx), channel, encodePayload(h.nodeID, f))
	if err != nil {
		h.report(fmt.Errorf("publish %s: %w", channel, err))
	}
}

// remoteHandler returns the broker callback of r: it delivers other nodes'
// frames to r's local members, in sequence order (see route), and ignores
// this node's own. It never blocks: a gap is filled by another goroutine.
func (h *Hub) remoteHandler(r *room) func([]byte) {
	return func(p []byte) {
		origin, f, err := decodePayload(p)
		if err != nil {
			h.report(fmt.Errorf("receive %s: %w", r.channel, err))
			return
		}
		if origin != h.nodeID {
			h.route(r, f)
		}
	}
}
