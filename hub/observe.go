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

// observedStore times the hub's message appends (AppendMessageChecked, the
// one append method of Store) for an Observer. The other methods pass
// through the embedded Store; an append method added to Store must be
// overridden here too to be timed.
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

// AppendMessageChecked times the embedded store's AppendMessageChecked.
func (s observedStore) AppendMessageChecked(ctx context.Context, m storage.Message) (storage.Appended, error) {
	start := time.Now()
	res, err := s.Store.AppendMessageChecked(ctx, m)
	s.obs.AppendDone(time.Since(start))
	return res, err
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
