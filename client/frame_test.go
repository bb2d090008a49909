package client

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/transport/wire"
)

// decodeFrameCases are envelopes the fast scan takes and ones it hands to
// encoding/json; either way decode must give what encoding/json gives.
var decodeFrameCases = []string{
	benchMessageFrame,
	benchAckFrame,
	`{"type":"ready","data":{"kind":"agent","subject_id":"agt_1"}}`,
	` { "type" : "message" , "ref" : "r1" , "data" : { "text" : "say \"hi\" \u00e9 \\ \/ \b\f\n\r\t" , "seq" : -1.5e+3 } } `,
	`{"type":"message","data":{"text":"é ü 漢字","nested":[{"a":[]},{},[[null,true,false]],"}",{"x":"]"}],"n":[0,-0,0.5,1E9,2e-3]}}`,
	`{"data":{"a":1},"unknown":{"deep":[1,2,{"z":"\""}]},"type":"ack","extra":"x\u2028y","ref":"s1"}`,
	`{"type":"ack","type":"error","ref":"a","ref":"b","data":1,"data":[2]}`,
	`{"type":"ping"}`,
	`{"type":"error","ref":"s9","data":null}`,
	`{}`,
	`{"data":"just a string"}`,
	// encoding/json's part: escapes, non-ASCII, case-folded keys, odd types.
	`{"type":"mess\u0061ge","ref":"r\"1","data":{}}`,
	`{"typ\u0065":"ack","data":{}}`,
	`{"type":"ack","ref":"réf","data":{}}`,
	`{"Type":"ack","REF":"x","Data":{"a":1}}`,
	`{"type":"ack","ref":null,"data":{}}`,
	`{"type":null}`,
	`null`,
	`{"type":"a` + "\xff" + `b"}`,
	`{"type":"ack","data":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}`,
	// Malformed: each is an error, worded by encoding/json.
	``, ` `, `{`, `}`, `[]`, `"ack"`, `{"type":"ack"} x`, `{"type":"ack",}`, `{"type" "ack"}`,
	`{"type":5}`, `{"type":"ack","data":}`, `{"type":"ack","data":{"a":01}}`, `{"type":"ack","data":{"a":1.}}`,
	`{"type":"ack","data":{"a":-}}`, `{"type":"ack","data":{"a":1e}}`, `{"type":"ack","data":[1,]}`,
	`{"type":"ack","data":{"a":tru}}`, `{"type":"ack","data":{"a":"\x"}}`, `{"type":"ack","data":{"a":"\u12g4"}}`,
	`{"type":"ack","data":{"a":"` + "\x01" + `"}}`, `{"type":"ack","data":{"a":1}`, `{"type":"ack","data":{1:2}}`,
	`{"type":"ack","data":"\u12"}`, `{"type":"ack` + "\n",
}

// TestDecodeMatchesEncodingJSON: decode gives json.Unmarshal's frame, or
// its error, on every case.
func TestDecodeMatchesEncodingJSON(t *testing.T) {
	for _, in := range decodeFrameCases {
		checkDecode(t, []byte(in))
	}
}

// TestDecodeFastPath: plain frames are read by the scan itself, and a
// known type costs no allocation.
func TestDecodeFastPath(t *testing.T) {
	var d decoder
	for _, in := range decodeFrameCases[:11] {
		if _, ok := d.scan([]byte(in)); !ok {
			t.Errorf("scan refused %s", in)
		}
	}
	b := []byte(benchMessageFrame)
	if n := testing.AllocsPerRun(100, func() { _, _ = d.decode(b) }); n != 0 {
		t.Errorf("decode of a known type: %v allocs, want 0", n)
	}
}

// checkDecode compares decode with json.Unmarshal into wire.Envelope.
func checkDecode(t *testing.T, in []byte) {
	t.Helper()
	var d decoder
	got, err := d.decode(in)
	var want wire.Envelope
	jerr := json.Unmarshal(in, &want)
	if (err == nil) != (jerr == nil) {
		t.Fatalf("%q: err %v, encoding/json %v", in, err, jerr)
	}
	if jerr != nil {
		if !strings.Contains(err.Error(), jerr.Error()) {
			t.Errorf("%q: err %v, want it to carry %v", in, err, jerr)
		}
		return
	}
	if got.Type != want.Type || got.Ref != want.Ref || !bytes.Equal(got.Data, want.Data) || (got.Data == nil) != (want.Data == nil) {
		t.Errorf("%q:\n got %q %q %q\nwant %q %q %q", in, got.Type, got.Ref, got.Data, want.Type, want.Ref, want.Data)
	}
}

// FuzzDecode: decode agrees with encoding/json on any input.
func FuzzDecode(f *testing.F) {
	for _, in := range decodeFrameCases {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkDecode(t, in) })
}

// TestNextSplitsAndKeepsFrames: Next splits coalesced messages the way
// bytes.Split on '\n' does, reports an undecodable frame and goes on, and
// the frames it returns stay intact while the buffer is reused.
func TestNextSplitsAndKeepsFrames(t *testing.T) {
	big := `{"type":"message","data":{"text":"` + strings.Repeat("x", 100<<10) + `"}}`
	c := serveFrames(t, false,
		benchMessageFrame+"\n"+benchAckFrame,
		`{"type":"a"}`+"\n\n"+`{"type":"b","ref":"r\u0031"}`,
		big,
		`{"type":"c","data":[1]}`,
	)
	ctx := context.Background()
	var kept []Frame
	for _, want := range []string{"message", "ack", "a", "!", "b", "message", "c"} {
		f, err := c.Next(ctx)
		if want == "!" {
			if err == nil {
				t.Fatalf("empty frame decoded: %+v", f)
			}
			continue
		}
		if err != nil || f.Type != want {
			t.Fatalf("got %+v %v, want type %s", f, err, want)
		}
		kept = append(kept, f)
	}
	var m wire.Message
	if err := kept[0].Decode(&m); err != nil || m.Seq != 42 || m.Text != "bench 1764880000000000000" {
		t.Errorf("first frame after reuse: %+v %v", m, err)
	}
	if kept[1].Ref != "s12345" || kept[3].Ref != "r1" || len(kept[4].Data) != len(big)-len(`{"type":"message","data":}`) || string(kept[5].Data) != "[1]" {
		t.Errorf("kept frames: %q %q %d %q", kept[1].Ref, kept[3].Ref, len(kept[4].Data), kept[5].Data)
	}
}

// TestNextRawAliasesBuffer: NextRaw's Data is the read buffer's, and
// Frame copies it.
func TestNextRawAliasesBuffer(t *testing.T) {
	c := serveFrames(t, false, `{"type":"a","data":{"n":1}}`, `{"type":"b","data":{"n":2}}`)
	ctx := context.Background()
	rf, err := c.NextRaw(ctx)
	if err != nil || rf.Type != "a" || string(rf.Data) != `{"n":1}` {
		t.Fatalf("%+v %v", rf, err)
	}
	kept := rf.Frame()
	rf2, err := c.NextRaw(ctx)
	if err != nil || rf2.Type != "b" || string(rf.Data) != `{"n":2}` || string(kept.Data) != `{"n":1}` {
		t.Fatalf("second frame %+v %v; first now %q, copy %q", rf2, err, rf.Data, kept.Data)
	}
}
