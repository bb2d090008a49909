package wire

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// trickyStrings exercise every escaping rule of appendString.
func trickyStrings() []string {
	s := []string{
		"", "plain", `quote " backslash \ slash /`, "<script>&amp;</script>",
		"line\nbreak\r\ttab\b\f", "\x00\x01\x1f\x7f", "é 😀 中文", "\u2028\u2029",
		"bad \xff utf-8 \xc3", "truncated \xe2\x82", "surrogate \xed\xa0\x80", "\ufffd",
		"U+0085 \u0085 and U+FEFF \ufeff",
	}
	for c := 0; c < 256; c++ {
		s = append(s, string([]byte{'a', byte(c), 'z'}))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		s = append(s, string(b))
	}
	return s
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range trickyStrings() {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %s, encoding/json = %s", s, got, want)
		}
	}
}

func TestEncodeMessageMatchesEncode(t *testing.T) {
	for i, text := range trickyStrings() {
		m := &Message{ConversationID: "cnv_" + text, Seq: int64(i) - 3, ID: "msg\n1", ClientID: text,
			SenderKind: "visitor", Text: text, CreatedAt: "2026-01-02T03:04:05.000Z"}
		if i%2 == 0 {
			m.SenderID = "vis<" + text
		}
		want, err := Encode(TypeMessage, "", m)
		if err != nil {
			t.Fatal(err)
		}
		if got := EncodeMessage(m); !bytes.Equal(got, want) {
			t.Fatalf("EncodeMessage = %s\nEncode        = %s", got, want)
		}
	}
}

func TestEncodeAckMatchesEncode(t *testing.T) {
	for i, s := range trickyStrings() {
		a := &Ack{ConversationID: s, ClientID: "k" + s, MessageID: "msg_1", Seq: int64(i),
			CreatedAt: "2026-01-02T03:04:05.000Z", Duplicate: i%3 == 0}
		ref := ""
		if i%2 == 1 {
			ref = "ref-" + s
		}
		want, err := Encode(TypeAck, ref, a)
		if err != nil {
			t.Fatal(err)
		}
		if got := EncodeAck(ref, a); !bytes.Equal(got, want) {
			t.Fatalf("EncodeAck = %s\nEncode    = %s", got, want)
		}
	}
}

func TestEncodeMatchesEnvelopeMarshal(t *testing.T) {
	p := Receipt{ConversationID: "c\u2028", Side: "agent", Seq: 4}
	data, _ := json.Marshal(p)
	want, _ := json.Marshal(Envelope{Type: TypeReceipt, Ref: "r<1>", Data: data})
	got, err := Encode(TypeReceipt, "r<1>", p)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Encode = %s, %v; json.Marshal(Envelope) = %s", got, err, want)
	}
}

func TestEncodeIsOneLineAndDecodable(t *testing.T) {
	text := strings.Join(trickyStrings(), "\n")
	frames := [][]byte{
		EncodeMessage(&Message{ConversationID: "c", Seq: 1, ID: "m", ClientID: "k", SenderKind: "agent", Text: text}),
		EncodeAck("r\n", &Ack{ConversationID: "c\r\n", Seq: 1}),
	}
	b, err := Encode(TypeError, "x\ny", &Error{Code: string(CodeInternal), Message: text})
	if err != nil {
		t.Fatal(err)
	}
	frames = append(frames, b)
	joined := bytes.Join(frames, []byte{'\n'})
	split := SplitFrames(joined)
	if len(split) != len(frames) {
		t.Fatalf("SplitFrames found %d frames, want %d: a raw newline leaked", len(split), len(frames))
	}
	for i, f := range split {
		if !bytes.Equal(f, frames[i]) {
			t.Fatalf("frame %d changed by split", i)
		}
		if _, err := DecodeServer(f); err != nil {
			t.Fatalf("frame %d does not decode: %v", i, err)
		}
	}
}

func TestEncodeNilAndErrors(t *testing.T) {
	b, err := Encode(TypePong, "p", nil)
	if err != nil || string(b) != `{"type":"pong","ref":"p"}` {
		t.Fatalf("nil payload: %s, %v", b, err)
	}
	b, err = Encode(TypeReady, "", (*Ready)(nil))
	if err != nil || string(b) != `{"type":"ready"}` {
		t.Fatalf("nil pointer payload: %s, %v", b, err)
	}
	for name, tc := range map[string]struct {
		typ     string
		payload any
	}{
		"empty type":      {"", nil},
		"not an object":   {TypeMessage, "text"},
		"array":           {TypeMessage, []int{1}},
		"not marshalable": {TypeMessage, map[string]any{"c": make(chan int)}},
	} {
		if b, err := Encode(tc.typ, "", tc.payload); err == nil {
			t.Errorf("%s: Encode = %s, want an error", name, b)
		}
	}
}

func TestSplitFrames(t *testing.T) {
	got := SplitFrames([]byte("\n{\"a\":1}\n\n{\"b\":2}\n"))
	want := [][]byte{[]byte(`{"a":1}`), []byte(`{"b":2}`)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("SplitFrames = %q", got)
	}
	if got := SplitFrames(nil); len(got) != 0 {
		t.Fatalf("SplitFrames(nil) = %q", got)
	}
	if got := SplitFrames([]byte(`{"x":1}`)); len(got) != 1 {
		t.Fatalf("single frame split into %q", got)
	}
}

func TestDecodeServer(t *testing.T) {
	f, err := DecodeServer([]byte(`{"type":"ack","ref":"r","data":{"seq":3,"future_field":true}}`))
	if err != nil || f.Ack == nil || f.Ack.Seq != 3 || f.Ref != "r" {
		t.Fatalf("ack: %+v, %v", f, err)
	}
	f, err = DecodeServer([]byte(`{"type":"pong"}`))
	if err != nil || f.Type != TypePong {
		t.Fatalf("pong: %+v, %v", f, err)
	}
	for in, code := range map[string]ErrorCode{
		`{"type":"shiny.new"}`:              CodeUnknownType,
		`nope`:                              CodeBadFrame,
		`{"ref":"x"}`:                       CodeBadFrame,
		`{"type":"ack","data":{"seq":"x"}}`: CodeValidationFailed,
	} {
		if _, err := DecodeServer([]byte(in)); CodeOf(err) != code {
			t.Errorf("DecodeServer(%s): %v, want %s", in, err, code)
		}
	}
}
