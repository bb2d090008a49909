package client

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/helpr-chat/helpr/transport/wire"
)

// Representative server frames: a chat message and an ack, as the load
// harness reads them for every published message.
const (
	benchMessageFrame = `{"type":"message","data":{"conversation_id":"cnv_ujzdegxdncf32epf3dhodzdoci","seq":42,"id":"msg_01jv7x0abcdefghijk","client_id":"b1-2-xyz","sender_kind":"visitor","sender_id":"vis_ujzdegxdncf32epf3dhodzdoci","text":"bench 1764880000000000000","created_at":"2026-01-01T00:00:00.000Z"}}`
	benchAckFrame     = `{"type":"ack","ref":"s12345","data":{"conversation_id":"cnv_ujzdegxdncf32epf3dhodzdoci","client_id":"b1-2-xyz","message_id":"msg_01jv7x0abcdefghijk","seq":42,"created_at":"2026-01-01T00:00:00.000Z","duplicate":false}}`
)

// BenchmarkNext reads frames from a local server through Next: one
// message per WebSocket message, and two coalesced into one.
func BenchmarkNext(b *testing.B) {
	for _, bc := range []struct{ name, msg string }{
		{"message", benchMessageFrame},
		{"coalesced", benchMessageFrame + "\n" + benchAckFrame},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := serveFrames(b, true, bc.msg)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Next(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/raw", func(b *testing.B) {
			c := serveFrames(b, true, bc.msg)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.NextRaw(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecode compares the envelope decode alone: encoding/json into
// wire.Envelope (what Next did) against the one-pass scan.
func BenchmarkDecode(b *testing.B) {
	for _, bc := range []struct{ name, frame string }{{"message", benchMessageFrame}, {"ack", benchAckFrame}} {
		in := []byte(bc.frame)
		b.Run(bc.name+"/encoding_json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var env wire.Envelope
				if err := json.Unmarshal(in, &env); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/scan", func(b *testing.B) {
			var d decoder
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.decode(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
