package ws

// onSpareStack runs fn on a short-lived goroutine and waits for it to
// return; a panic in fn is re-raised in the caller (net/http recovers it as
// a handler panic).
//
// It keeps connection setup off the reader's stack. The handler goroutine
// is the connection's reader for its whole life, and an idle reader's stack
// is most of an idle connection's cost. Admission and authentication call
// deep into the session cache and the store, which grows a goroutine's
// stack to 16 KiB or more; the runtime shrinks a parked stack only when it
// uses under a quarter of it, and the reader parked in the WebSocket read
// (net/http, coder/websocket, bufio and the poller) uses more than 4 KiB,
// so a stack grown once stays at 16 KiB. Run on a spare goroutine, the
// growth is that goroutine's and is freed when it ends, and the reader
// keeps its starting 8 KiB: per idle connection about 8 KiB less, for one
// goroutine start per connection.
func onSpareStack(fn func()) {
	var panicked any
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { panicked = recover() }()
		fn()
	}()
	<-done
	if panicked != nil {
		panic(panicked)
	}
}
