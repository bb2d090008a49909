package wire

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeClient checks DecodeClient on arbitrary input: it never panics;
// every error is an *Error with a decoding code and a short printable
// message; and an accepted frame (1) re-encodes with Encode and decodes to
// the same frame, and (2) means the same to encoding/json, so the strict
// decoder never sees something other than what a lenient reader would.
// The seed corpus is testdata/fuzz/FuzzDecodeClient plus the golden files.
func FuzzDecodeClient(f *testing.F) {
	golden, _ := filepath.Glob(filepath.Join("testdata", "golden", "client.*.json"))
	for _, path := range golden {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		frame, err := DecodeClient(b)
		if err != nil {
			checkDecodeError(t, frame, err)
			return
		}
		checkReencode(t, frame)
		checkAgreesWithEncodingJSON(t, b, frame)
	})
}

func checkDecodeError(t *testing.T, frame ClientFrame, err error) {
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %T %v is not *Error", err, err)
	}
	switch ErrorCode(e.Code) {
	case CodeBadFrame, CodeUnknownType, CodeValidationFailed:
	default:
		t.Fatalf("unexpected code %q", e.Code)
	}
	if len(e.Message) == 0 || len(e.Message) > 120 || !printableASCII(stripSpaces(e.Message)) {
		t.Fatalf("message %q is empty, long or not printable ASCII", e.Message)
	}
	if frame.Payload() != nil || CheckRef(frame.Ref) != nil {
		t.Fatalf("error %v returned with frame %+v", err, frame)
	}
}

func stripSpaces(s string) string { return string(bytes.ReplaceAll([]byte(s), []byte(" "), nil)) }

func checkReencode(t *testing.T, frame ClientFrame) {
	b, err := Encode(frame.Type, frame.Ref, frame.Payload())
	if err != nil {
		t.Fatalf("re-encode %+v: %v", frame, err)
	}
	again, err := DecodeClient(b)
	if err != nil {
		t.Fatalf("re-encoded frame %s does not decode: %v", b, err)
	}
	if !reflect.DeepEqual(again, frame) {
		t.Fatalf("round trip changed the frame:\n%+v\n%+v", frame, again)
	}
	if bytes.IndexByte(b, '\n') >= 0 || !utf8.Valid(b) {
		t.Fatalf("encoded frame is not one UTF-8 line: %q", b)
	}
}

// checkAgreesWithEncodingJSON decodes the accepted input again with
// encoding/json and requires the same values.
func checkAgreesWithEncodingJSON(t *testing.T, b []byte, frame ClientFrame) {
	var env Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatalf("encoding/json rejects an accepted frame: %v", err)
	}
	if env.Type != frame.Type || env.Ref != frame.Ref {
		t.Fatalf("encoding/json reads type %q ref %q, DecodeClient %q %q", env.Type, env.Ref, frame.Type, frame.Ref)
	}
	want := frame.Payload()
	if want == nil || len(env.Data) == 0 || string(env.Data) == "null" {
		return
	}
	got := reflect.New(reflect.TypeOf(want).Elem()).Interface()
	if err := json.Unmarshal(env.Data, got); err != nil {
		t.Fatalf("encoding/json rejects accepted data: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("encoding/json reads %+v, DecodeClient %+v", got, want)
	}
}

// FuzzEncodeMessage checks the hand-written encoder against encoding/json.
func FuzzEncodeMessage(f *testing.F) {
	f.Add("cnv_1", int64(1), "hello", "vis_1")
	f.Add("c\u2028", int64(-5), "<a href=\"x\">\xff\x00</a>\n", "")
	f.Fuzz(func(t *testing.T, id string, seq int64, text, sender string) {
		m := &Message{ConversationID: id, Seq: seq, ID: text, ClientID: id, SenderKind: sender,
			SenderID: sender, Text: text, CreatedAt: text}
		want, err := Encode(TypeMessage, "", m)
		if err != nil {
			t.Fatal(err)
		}
		if got := EncodeMessage(m); !bytes.Equal(got, want) {
			t.Fatalf("EncodeMessage = %s, Encode = %s", got, want)
		}
		a := &Ack{ConversationID: id, ClientID: text, MessageID: sender, Seq: seq, CreatedAt: text, Duplicate: seq%2 == 0}
		if want, _ = Encode(TypeAck, sender, a); !bytes.Equal(EncodeAck(sender, a), want) {
			t.Fatalf("EncodeAck = %s, Encode = %s", EncodeAck(sender, a), want)
		}
	})
}
