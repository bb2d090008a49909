package wire

import (
	"strings"
	"testing"
)

var benchSend = []byte(`{"type":"message.send","ref":"m-1842","data":{"conversation_id":"cnv_ujzdegxdncf32epf3dhodzdoci","client_id":"web-1700000000000-1842","text":"Hi! I was charged twice for my March invoice, could you check? Order #48213."}}`)

func BenchmarkDecodeMessageSend(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchSend)))
	for b.Loop() {
		if _, err := DecodeClient(benchSend); err != nil {
			b.Fatal(err)
		}
	}
}

func benchMessage() *Message {
	return &Message{
		ConversationID: "cnv_ujzdegxdncf32epf3dhodzdoci", Seq: 1842, ID: "msg_wyojfljooa7lqsaj2xuid5zzzz",
		ClientID: "web-1700000000000-1842", SenderKind: "visitor", SenderID: "vis_v4seh2kvj72ceuvw75efr6edt4",
		Text:      strings.Repeat("Hi! I was charged twice for my March invoice, could you check? ", 2),
		CreatedAt: "2026-03-01T12:00:00.123Z",
	}
}

func BenchmarkEncodeMessage(b *testing.B) {
	m := benchMessage()
	b.ReportAllocs()
	b.SetBytes(int64(len(EncodeMessage(m))))
	for b.Loop() {
		EncodeMessage(m)
	}
}

// BenchmarkEncodeMessageGeneric is the encoding/json path EncodeMessage
// replaces, for comparison.
func BenchmarkEncodeMessageGeneric(b *testing.B) {
	m := benchMessage()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(TypeMessage, "", m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeAck(b *testing.B) {
	a := &Ack{ConversationID: "cnv_ujzdegxdncf32epf3dhodzdoci", ClientID: "web-1700000000000-1842",
		MessageID: "msg_wyojfljooa7lqsaj2xuid5zzzz", Seq: 1842, CreatedAt: "2026-03-01T12:00:00.123Z"}
	b.ReportAllocs()
	b.SetBytes(int64(len(EncodeAck("m-1842", a))))
	for b.Loop() {
		EncodeAck("m-1842", a)
	}
}
