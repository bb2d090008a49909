package ws

import "testing"

// An idle connection's reader keeps its starting stack (8 KiB): the
// upgrade and the authentication, which call deep into the session cache
// and the store, run on a spare goroutine (onSpareStack). A reader whose
// stack grew once stays at 16 KiB, since the runtime cannot shrink a stack
// parked in the WebSocket read.
func TestIdleReaderStackStaysSmall(t *testing.T) {
	const n = 50
	m := measureIdle(t, helprTarget(t, n), n)
	if m.stack > 12<<10 {
		t.Fatalf("idle connections hold %.0f stack bytes each, want about 8 KiB (at most 12 KiB)", m.stack)
	}
}

func TestOnSpareStackReraisesPanics(t *testing.T) {
	defer func() {
		if r := recover(); r != "boom" {
			t.Fatalf("recovered %v, want the panic of fn", r)
		}
	}()
	onSpareStack(func() { panic("boom") })
	t.Fatal("onSpareStack returned after fn panicked")
}
