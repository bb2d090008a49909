package main

import (
	"encoding/json"
	"testing"

	"github.com/helpr-chat/helpr/transport/wire"
)

// The hand decoders read what encoding/json reads, and fall back to it
// for escapes; malformed data is an error.
func TestFrameDecodersMatchEncodingJSON(t *testing.T) {
	msgs := []string{
		`{"conversation_id":"cnv_a","seq":42,"id":"msg_1","client_id":"b1-2","sender_kind":"visitor","text":"bench 123","created_at":"2026-01-01T00:00:00.000Z"}`,
		`{ "seq" : 7 , "meta":{"seq":9,"x":["}",{"a":"\""}]}, "conversation_id":"c", "sender_kind":"agent","text":"say \"hi\" \u00e9"}`,
		`{"conversation_id":"c","seq":1,"sender_id":null,"sender_kind":"agent","text":""}`,
	}
	for _, in := range msgs {
		got, err := decodeMessage([]byte(in))
		var want wire.Message
		if jerr := json.Unmarshal([]byte(in), &want); err != nil || jerr != nil {
			t.Fatalf("%s: %v / %v", in, err, jerr)
		}
		want.ID, want.ClientID, want.CreatedAt, want.SenderID = "", "", "", ""
		if got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", in, got, want)
		}
	}
	for _, bad := range []string{``, `{`, `{"seq":}`, `{"seq":1,}`, `[1]`, `{"seq":"x"}`, `{"seq":1} x`} {
		if _, err := decodeMessage([]byte(bad)); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
	a, err := decodeAck([]byte(`{"conversation_id":"c","client_id":"x","message_id":"m","seq":5,"created_at":"t","duplicate":true}`))
	if err != nil || a != (benchAck{ConversationID: "c", Seq: 5, Duplicate: true}) {
		t.Fatalf("ack: %+v %v", a, err)
	}
	var ms wire.MessageSend
	var env wire.Envelope
	b := appendMessageSend(nil, "s1", "cnv_a", "b1-1", "bench 9 <\"x\">")
	if err := json.Unmarshal(b, &env); err != nil || env.Type != wire.TypeMessageSend || env.Ref != "s1" || json.Unmarshal(env.Data, &ms) != nil ||
		ms != (wire.MessageSend{ConversationID: "cnv_a", ClientID: "b1-1", Text: "bench 9 <\"x\">"}) {
		t.Fatalf("message.send %s: %+v %+v %v", b, env, ms, err)
	}
}

func BenchmarkDecodeMessage(b *testing.B) {
	in := []byte(`{"conversation_id":"cnv_ujzdegxdncf32epf3dhodzdoci","seq":42,"id":"msg_x","client_id":"b1-2-xyz","sender_kind":"visitor","sender_id":"vis_x","text":"bench 1764880000000000000","created_at":"2026-01-01T00:00:00.000Z"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeMessage(in); err != nil {
			b.Fatal(err)
		}
	}
}
