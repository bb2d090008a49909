package hub

import (
	"context"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// Observer is told how long the hub's chat path takes (metrics). Its
// methods are called synchronously on that path, possibly concurrently, so
// they must be cheap, safe for concurrent use and never block.
type Observer interface {
	// AppendDone reports one store append of a chat message, failed or not.
	AppendDone(d time.Duration)
	// FanoutDone reports one event handed to recipients local members of a
	// room.
	FanoutDone(recipients int, d time.Duration)
}

// observedStore times the hub's message appends for an Observer. The other
// methods pass through the embedded Store.
//
// TODO: time AppendMessageChecked the same way once Store has it (it is
// promoted from the embedded Store, untimed, until then).
type observedStore struct {
	Store
	obs Observer
}

// observeStore returns store timed for obs, or store itself when obs is nil.
func observeStore(store Store, obs Observer) Store {
	if obs == nil {
		return store
	}
	return observedStore{Store: store, obs: obs}
}

// AppendMessage times the embedded store's AppendMessage.
func (s observedStore) AppendMessage(ctx context.Context, m storage.Message) (storage.Message, bool, error) {
	start := time.Now()
	msg, dup, err := s.Store.AppendMessage(ctx, m)
	s.obs.AppendDone(time.Since(start))
	return msg, dup, err
}

// routeObserved is route, timed for the Observer with r's local member count.
func (h *Hub) routeObserved(r *room, f Frame) {
	if h.obs == nil {
		h.route(r, f)
		return
	}
	start := time.Now()
	h.route(r, f)
	h.obs.FanoutDone(len(*r.members.Load()), time.Since(start))
}
