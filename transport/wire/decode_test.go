package wire

import (
	"reflect"
	"strings"
	"testing"
)

func TestDecodeClientValid(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want ClientFrame
	}{
		{"auth", `{"type":"auth","data":{"token":"tok_1"}}`,
			ClientFrame{Type: TypeAuth, Auth: &Auth{Token: "tok_1"}}},
		{"start without data", `{"type":"conversation.start","ref":"r1"}`,
			ClientFrame{Type: TypeConversationStart, Ref: "r1", Start: &ConversationStart{}}},
		{"start with empty data", `{"type":"conversation.start","data":{}}`,
			ClientFrame{Type: TypeConversationStart, Start: &ConversationStart{}}},
		{"join", `{"type":"conversation.join","data":{"conversation_id":"cnv_1","after_seq":41}}`,
			ClientFrame{Type: TypeConversationJoin, Join: &ConversationJoin{ConversationID: "cnv_1", AfterSeq: 41}}},
		{"join without after_seq", `{"type":"conversation.join","data":{"conversation_id":"cnv_1"}}`,
			ClientFrame{Type: TypeConversationJoin, Join: &ConversationJoin{ConversationID: "cnv_1"}}},
		{"leave", `{"type":"conversation.leave","data":{"conversation_id":"c"}}`,
			ClientFrame{Type: TypeConversationLeave, Leave: &ConversationRef{ConversationID: "c"}}},
		{"claim", `{"type":"conversation.claim","data":{"conversation_id":"c"}}`,
			ClientFrame{Type: TypeConversationClaim, Claim: &ConversationRef{ConversationID: "c"}}},
		{"close", `{"type":"conversation.close","data":{"conversation_id":"c"}}`,
			ClientFrame{Type: TypeConversationClose, Close: &ConversationRef{ConversationID: "c"}}},
		{"transfer", `{"type":"conversation.transfer","data":{"agent_id":"agt_2","conversation_id":"c"}}`,
			ClientFrame{Type: TypeConversationTransfer, Transfer: &ConversationTransfer{ConversationID: "c", AgentID: "agt_2"}}},
		{"send with escapes", `{"type":"message.send","ref":"7","data":{"conversation_id":"c","client_id":"a.B_1:-","text":"h\u00e9 \"x\" \ud83d\ude00\n\t/\/"}}`,
			ClientFrame{Type: TypeMessageSend, Ref: "7", MessageSend: &MessageSend{ConversationID: "c", ClientID: "a.B_1:-", Text: "hé \"x\" 😀\n\t//"}}},
		{"typing", `{"type":"typing","data":{"conversation_id":"c","active":false}}`,
			ClientFrame{Type: TypeTyping, Typing: &Typing{ConversationID: "c"}}},
		{"read", `{"type":"read","data":{"conversation_id":"c","seq":0}}`,
			ClientFrame{Type: TypeRead, Read: &Read{ConversationID: "c"}}},
		{"read -0", `{"type":"read","data":{"conversation_id":"c","seq":-0}}`,
			ClientFrame{Type: TypeRead, Read: &Read{ConversationID: "c"}}},
		{"read max", `{"type":"read","data":{"conversation_id":"c","seq":9223372036854775807}}`,
			ClientFrame{Type: TypeRead, Read: &Read{ConversationID: "c", Seq: 1<<63 - 1}}},
		{"presence", `{"type":"presence.set","data":{"status":"away"}}`,
			ClientFrame{Type: TypePresenceSet, PresenceSet: &PresenceSet{Status: "away"}}},
		{"ping", `{"type":"ping","ref":"p"}`, ClientFrame{Type: TypePing, Ref: "p"}},
		{"ping null data and ref", `{"ref":null,"data":null,"type":"ping"}`, ClientFrame{Type: TypePing}},
		{"white space and escaped names", " {\n\t\"\\u0074ype\" : \"ping\" , \"ref\":\"\" }\r\n", ClientFrame{Type: TypePing}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeClient([]byte(tc.in))
			if err != nil {
				t.Fatalf("DecodeClient: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestDecodeClientErrors(t *testing.T) {
	send := func(fields string) string { return `{"type":"message.send","ref":"r","data":{` + fields + `}}` }
	okSend := `"conversation_id":"c","client_id":"k",`
	cases := []struct {
		name, in string
		code     ErrorCode
		msg      string // a substring of the message
	}{
		{"empty", ``, CodeBadFrame, "not valid JSON"},
		{"not json", `hello`, CodeBadFrame, "not valid JSON"},
		{"truncated", `{"type":"ping"`, CodeBadFrame, "not valid JSON"},
		{"invalid utf-8", "{\"type\":\"ping\",\"ref\":\"\xff\"}", CodeBadFrame, "UTF-8"},
		{"array", `[{"type":"ping"}]`, CodeBadFrame, "not a JSON object"},
		{"string", `"ping"`, CodeBadFrame, "not a JSON object"},
		{"two frames", "{\"type\":\"ping\"}\n{\"type\":\"ping\"}", CodeBadFrame, "one frame per message"},
		{"trailing garbage", `{"type":"ping"}x`, CodeBadFrame, "one frame per message"},
		{"no type", `{"ref":"r"}`, CodeBadFrame, "no type"},
		{"empty type", `{"type":""}`, CodeBadFrame, "no type"},
		{"type not string", `{"type":7}`, CodeBadFrame, "type must be a string"},
		{"ref not string", `{"type":"ping","ref":7}`, CodeBadFrame, "ref must be a string"},
		{"unknown envelope field", `{"type":"ping","extra":1}`, CodeBadFrame, `unknown envelope field "extra"`},
		{"envelope field other case", `{"Type":"ping"}`, CodeBadFrame, `unknown envelope field "Type"`},
		{"duplicate type", `{"type":"ping","type":"auth"}`, CodeBadFrame, "duplicate envelope field"},
		{"duplicate escaped type", `{"type":"ping","\u0074ype":"auth"}`, CodeBadFrame, "duplicate envelope field"},
		{"unknown type", `{"type":"message.delete"}`, CodeUnknownType, "unknown frame type"},
		{"server type", `{"type":"ack"}`, CodeUnknownType, "unknown frame type"},
		{"surrogate type", `{"type":"\ud800"}`, CodeUnknownType, "unknown frame type"},
		{"ref too long", `{"type":"ping","ref":"` + strings.Repeat("r", 65) + `"}`, CodeValidationFailed, "ref must be"},
		{"ref with space", `{"type":"ping","ref":"a b"}`, CodeValidationFailed, "ref must be"},
		{"ref surrogate", `{"type":"ping","ref":"\udc00"}`, CodeValidationFailed, "ref must be"},
		{"ping with data", `{"type":"ping","data":{"x":1}}`, CodeValidationFailed, `unknown field "x"`},
		{"data not object", `{"type":"auth","data":"tok"}`, CodeValidationFailed, "data must be a JSON object"},
		{"data array", `{"type":"auth","data":[1]}`, CodeValidationFailed, "data must be a JSON object"},
		{"data missing", `{"type":"auth"}`, CodeValidationFailed, "data is required"},
		{"data null", `{"type":"auth","data":null}`, CodeValidationFailed, "data is required"},
		{"missing field", send(`"conversation_id":"c","client_id":"k"`), CodeValidationFailed, `missing field "text"`},
		{"unknown field", send(okSend + `"text":"hi","html":"x"`), CodeValidationFailed, `unknown field "html"`},
		{"unknown odd field name", send(okSend + `"text":"hi","<b>":"x"`), CodeValidationFailed, "unknown field"},
		{"field other case", send(okSend + `"Text":"hi"`), CodeValidationFailed, `unknown field "Text"`},
		{"duplicate field", send(okSend + `"text":"a","text":"b"`), CodeValidationFailed, `duplicate field "text"`},
		{"text not string", send(okSend + `"text":5`), CodeValidationFailed, "text must be a string"},
		{"text null", send(okSend + `"text":null`), CodeValidationFailed, "text must be a string"},
		{"text empty", send(okSend + `"text":""`), CodeValidationFailed, "text must be 1 to 4000"},
		{"text too long", send(okSend + `"text":"` + strings.Repeat("é", 4001) + `"`), CodeValidationFailed, "text must be 1 to 4000"},
		{"text lone surrogate", send(okSend + `"text":"a\ud800b"`), CodeValidationFailed, "valid Unicode"},
		{"text reversed pair", send(okSend + `"text":"\udc00\ud800"`), CodeValidationFailed, "valid Unicode"},
		{"text NUL", send(okSend + `"text":"a\u0000"`), CodeValidationFailed, "control characters"},
		{"text ESC", send(okSend + `"text":"\u001b[31m"`), CodeValidationFailed, "control characters"},
		{"text C1 CSI", send(okSend + `"text":"\u009b31m"`), CodeValidationFailed, "control characters"},
		{"conversation id empty", send(`"conversation_id":"","client_id":"k","text":"x"`), CodeValidationFailed, "conversation_id must be"},
		{"conversation id too long", send(`"conversation_id":"` + strings.Repeat("c", 65) + `","client_id":"k","text":"x"`), CodeValidationFailed, "conversation_id must be"},
		{"conversation id non-ASCII", send(`"conversation_id":"cé","client_id":"k","text":"x"`), CodeValidationFailed, "conversation_id must be"},
		{"client id bad char", send(`"conversation_id":"c","client_id":"k/1","text":"x"`), CodeValidationFailed, "client_id must be"},
		{"client id too long", send(`"conversation_id":"c","client_id":"` + strings.Repeat("k", 65) + `","text":"x"`), CodeValidationFailed, "client_id must be"},
		{"agent id missing", `{"type":"conversation.transfer","data":{"conversation_id":"c"}}`, CodeValidationFailed, `missing field "agent_id"`},
		{"after_seq negative", `{"type":"conversation.join","data":{"conversation_id":"c","after_seq":-1}}`, CodeValidationFailed, "after_seq must be a non-negative"},
		{"after_seq fraction", `{"type":"conversation.join","data":{"conversation_id":"c","after_seq":1.0}}`, CodeValidationFailed, "after_seq must be an integer"},
		{"after_seq string", `{"type":"conversation.join","data":{"conversation_id":"c","after_seq":"1"}}`, CodeValidationFailed, "after_seq must be an integer"},
		{"seq exponent", `{"type":"read","data":{"conversation_id":"c","seq":1e3}}`, CodeValidationFailed, "seq must be an integer"},
		{"seq overflow", `{"type":"read","data":{"conversation_id":"c","seq":9223372036854775808}}`, CodeValidationFailed, "seq is out of range"},
		{"seq huge", `{"type":"read","data":{"conversation_id":"c","seq":99999999999999999999999}}`, CodeValidationFailed, "seq is out of range"},
		{"seq missing", `{"type":"read","data":{"conversation_id":"c"}}`, CodeValidationFailed, `missing field "seq"`},
		{"active not bool", `{"type":"typing","data":{"conversation_id":"c","active":1}}`, CodeValidationFailed, "active must be true or false"},
		{"typing sender from client", `{"type":"typing","data":{"conversation_id":"c","active":true,"sender_id":"x"}}`, CodeValidationFailed, `unknown field "sender_id"`},
		{"status bad", `{"type":"presence.set","data":{"status":"offline"}}`, CodeValidationFailed, "status must be"},
		{"token empty", `{"type":"auth","data":{"token":""}}`, CodeValidationFailed, "token must be 1 to 2048"},
		{"token too long", `{"type":"auth","data":{"token":"` + strings.Repeat("t", 2049) + `"}}`, CodeValidationFailed, "token must be 1 to 2048"},
		{"nested value", `{"type":"auth","data":{"token":{"a":"b"}}}`, CodeValidationFailed, "token must be a string"},
		{"too big", `{"type":"ping","ref":"` + strings.Repeat(" ", MaxFrameBytes) + `"}`, CodeBadFrame, "larger than 32 KiB"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := DecodeClient([]byte(tc.in))
			if err == nil {
				t.Fatalf("DecodeClient accepted %q as %+v", tc.in, f)
			}
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			if ErrorCode(e.Code) != tc.code || !strings.Contains(e.Message, tc.msg) {
				t.Fatalf("got %s: %q, want %s containing %q", e.Code, e.Message, tc.code, tc.msg)
			}
			if f.Payload() != nil {
				t.Fatalf("payload %+v returned with an error", f.Payload())
			}
		})
	}
}

func TestDecodeClientTextLimitCountsCharacters(t *testing.T) {
	for _, text := range []string{strings.Repeat("é", MaxTextChars), strings.Repeat("😀", MaxTextChars), "a"} {
		in := `{"type":"message.send","data":{"conversation_id":"c","client_id":"k","text":"` + text + `"}}`
		f, err := DecodeClient([]byte(in))
		if err != nil || f.MessageSend.Text != text {
			t.Fatalf("%d-byte text: err %v", len(text), err)
		}
	}
}

func TestDecodeClientKeepsRefOnError(t *testing.T) {
	f, err := DecodeClient([]byte(`{"type":"message.send","ref":"req-9","data":{"conversation_id":"c"}}`))
	if CodeOf(err) != CodeValidationFailed || f.Ref != "req-9" || f.Type != TypeMessageSend {
		t.Fatalf("got %+v, %v", f, err)
	}
	f, _ = DecodeClient([]byte(`{"type":"ping","ref":"` + strings.Repeat("x", 100) + `"}`))
	if f.Ref != "" {
		t.Fatalf("an invalid ref was kept: %q", f.Ref)
	}
}

func TestDecodeClientErrorsNeverEchoValues(t *testing.T) {
	const secret = "SeCrEtVaLuE"
	frames := []string{
		`{"type":"` + secret + `"}`,
		`{"type":"auth","data":{"token":"` + secret + strings.Repeat("x", 2100) + `"}}`,
		`{"type":"message.send","data":{"conversation_id":"` + secret + `\u0001","client_id":"k","text":"x"}}`,
		`{"type":"message.send","data":{"conversation_id":"c","client_id":"` + secret + `/","text":"x"}}`,
		`{"type":"message.send","data":{"conversation_id":"c","client_id":"k","text":"` + secret + `\u0000"}}`,
		`{"type":"presence.set","data":{"status":"` + secret + `"}}`,
		`{"type":"ping","ref":"` + secret + ` "}`,
		`{"type":"ping","` + secret + `<":1}`,
		`{"type":"ping","data":{"` + strings.Repeat(secret, 4) + `":1}}`,
	}
	for _, in := range frames {
		_, err := DecodeClient([]byte(in))
		if err == nil {
			t.Fatalf("accepted %s", in)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error echoes the value: %v", err)
		}
	}
}

func TestDecodeClientDoesNotAliasInput(t *testing.T) {
	in := []byte(`{"type":"message.send","ref":"r","data":{"conversation_id":"c","client_id":"k","text":"hello"}}`)
	f, err := DecodeClient(in)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		in[i] = 'X'
	}
	if f.Ref != "r" || f.MessageSend.Text != "hello" || f.MessageSend.ConversationID != "c" {
		t.Fatalf("frame changed with its input: %+v %+v", f, f.MessageSend)
	}
}

func TestClientFramePayload(t *testing.T) {
	if p := (ClientFrame{Type: TypePing}).Payload(); p != nil {
		t.Fatalf("ping payload = %v", p)
	}
	a := &Auth{Token: "t"}
	if p := (ClientFrame{Type: TypeAuth, Auth: a}).Payload(); p != a {
		t.Fatalf("auth payload = %v", p)
	}
}
