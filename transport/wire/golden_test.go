package wire

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenFrame is one example frame: the value the golden file must hold.
type goldenFrame struct {
	typ, ref string
	payload  any // what goes on the wire; nil for frames without data
}

// clientGolden has one example of every client frame type.
var clientGolden = []goldenFrame{
	{TypeAuth, "a1", &Auth{Token: "hlv_N9zHYIa4UOrGNATMuDJawTgsu8PO-799nKSNrh9UCau"}},
	{TypeConversationStart, "s1", nil},
	{TypeConversationJoin, "j1", &ConversationJoin{ConversationID: "cnv_ujzdegxdncf32epf3dhodzdoci", AfterSeq: 41}},
	{TypeConversationLeave, "", &ConversationRef{ConversationID: "cnv_ujzdegxdncf32epf3dhodzdoci"}},
	{TypeConversationClaim, "c1", &ConversationRef{ConversationID: "cnv_ujzdegxdncf32epf3dhodzdoci"}},
	{TypeConversationTransfer, "t1", &ConversationTransfer{ConversationID: "cnv_ujzdegxdncf32epf3dhodzdoci", AgentID: "agt_s2jhtlgmxgedn73u55xtplpft7"}},
	{TypeConversationClose, "x1", &ConversationRef{ConversationID: "cnv_ujzdegxdncf32epf3dhodzdoci"}},
	{TypeConversationReopen, "o1", &ConversationRef{ConversationID: "cnv_ujzdegxdncf32epf3dhodzdoci"}},
	{TypeMessageSend, "m1", &MessageSend{ConversationID: "cnv_ujzdegxdncf32epf3dhodzdoci", ClientID: "web-1700000000000-1", Text: "Hello! Can I change my plan? <3 \"Pro\" → Team\nThanks"}},
	{TypeTyping, "", &Typing{ConversationID: "cnv_ujzdegxdncf32epf3dhodzdoci", Active: true}},
	{TypeRead, "", &Read{ConversationID: "cnv_ujzdegxdncf32epf3dhodzdoci", Seq: 42}},
	{TypePresenceSet, "p1", &PresenceSet{Status: StatusAway}},
	{TypeInboxWatch, "w1", &InboxWatch{Scope: ScopeMine}},
	{TypePing, "k1", nil},
}

// serverGolden has one example of every server frame type.
var serverGolden = []goldenFrame{
	{TypeReady, "", &Ready{Kind: "visitor", SubjectID: "vis_v4seh2kvj72ceuvw75efr6edt4", OrgID: "org_sywb5wkh7dnsipzz7fk4zri3r2", ExpiresAt: "2026-03-01T13:00:00Z"}},
	{TypeAck, "m1", &Ack{ConversationID: "cnv_ujzdegxdncf32epf3dhodzdoci", ClientID: "web-1700000000000-1", MessageID: "msg_wyojfljooa7lqsaj2xuid5zzzz", Seq: 42, CreatedAt: "2026-03-01T12:00:00.123Z"}},
	{TypeMessage, "", &Message{ConversationID: "cnv_ujzdegxdncf32epf3dhodzdoci", Seq: 42, ID: "msg_wyojfljooa7lqsaj2xuid5zzzz", ClientID: "web-1700000000000-1", SenderKind: "visitor", SenderID: "vis_v4seh2kvj72ceuvw75efr6edt4", Text: "Hello! Can I change my plan? <3 \"Pro\" → Team\nThanks", CreatedAt: "2026-03-01T12:00:00.123Z"}},
	{TypeJoined, "j1", &Joined{ConversationID: "cnv_ujzdegxdncf32epf3dhodzdoci", LastSeq: 42}},
	{TypeConversation, "c1", &Conversation{ID: "cnv_ujzdegxdncf32epf3dhodzdoci", Status: "open", VisitorID: "vis_v4seh2kvj72ceuvw75efr6edt4", AssigneeID: "agt_s2jhtlgmxgedn73u55xtplpft7", LastSeq: 42, VisitorReadSeq: 42, AgentReadSeq: 40, Preview: "Hello! Can I change my plan? <3 \"Pro\" → Team Thanks", LastSenderKind: "visitor", CreatedAt: "2026-03-01T11:58:00.000Z", UpdatedAt: "2026-03-01T12:00:00.123Z"}},
	{TypeReceipt, "", &Receipt{ConversationID: "cnv_ujzdegxdncf32epf3dhodzdoci", Side: "agent", Seq: 42, AgentID: "agt_s2jhtlgmxgedn73u55xtplpft7"}},
	{TypePresence, "", &Presence{SubjectKind: "agent", SubjectID: "agt_s2jhtlgmxgedn73u55xtplpft7", Status: "online"}},
	{TypeTyping, "", &Typing{ConversationID: "cnv_ujzdegxdncf32epf3dhodzdoci", Active: true, SenderKind: "agent", SenderID: "agt_s2jhtlgmxgedn73u55xtplpft7"}},
	{TypeError, "m1", &Error{Code: string(CodeConversationClosed), Message: "the conversation is closed"}},
	{TypePong, "k1", nil},
}

func goldenPath(side, typ string) string {
	return filepath.Join("testdata", "golden", side+"."+typ+".json")
}

// checkGolden compares got (plus a final newline) with the golden file, or
// rewrites the file under -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n got  %s want %s", path, got, want)
	}
}

// TestGoldenClientFrames decodes each client golden file and checks that it
// holds the expected frame; the files are what Encode writes.
func TestGoldenClientFrames(t *testing.T) {
	for _, g := range clientGolden {
		t.Run(g.typ, func(t *testing.T) {
			path := goldenPath("client", g.typ)
			b, err := Encode(g.typ, g.ref, g.payload)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, path, b)
			file, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := DecodeClient(file)
			if err != nil {
				t.Fatalf("DecodeClient(%s): %v", path, err)
			}
			want := g.payload
			if g.typ == TypeConversationStart {
				want = &ConversationStart{}
			}
			if f.Type != g.typ || f.Ref != g.ref || !reflect.DeepEqual(f.Payload(), want) {
				t.Fatalf("decoded %+v (payload %+v), want %s %q %+v", f, f.Payload(), g.typ, g.ref, want)
			}
		})
	}
}

// TestGoldenServerFrames encodes each server frame and compares the bytes
// with its golden file; the hot-path encoders must produce the same bytes.
func TestGoldenServerFrames(t *testing.T) {
	for _, g := range serverGolden {
		t.Run(g.typ, func(t *testing.T) {
			b, err := Encode(g.typ, g.ref, g.payload)
			if err != nil {
				t.Fatal(err)
			}
			switch p := g.payload.(type) {
			case *Message:
				if fast := EncodeMessage(p); !bytes.Equal(fast, b) {
					t.Fatalf("EncodeMessage = %s, Encode = %s", fast, b)
				}
			case *Ack:
				if fast := EncodeAck(g.ref, p); !bytes.Equal(fast, b) {
					t.Fatalf("EncodeAck = %s, Encode = %s", fast, b)
				}
			}
			checkGolden(t, goldenPath("server", g.typ), b)
			f, err := DecodeServer(b)
			if err != nil || f.Type != g.typ || f.Ref != g.ref {
				t.Fatalf("DecodeServer: %+v, %v", f, err)
			}
		})
	}
}

// TestGoldenCoversEveryType fails when a frame type is added without a
// golden example.
func TestGoldenCoversEveryType(t *testing.T) {
	want := map[string][]string{
		"client": {TypeAuth, TypeConversationStart, TypeConversationJoin, TypeConversationLeave,
			TypeConversationClaim, TypeConversationTransfer, TypeConversationClose, TypeConversationReopen, TypeMessageSend,
			TypeTyping, TypeRead, TypePresenceSet, TypeInboxWatch, TypePing},
		"server": {TypeReady, TypeAck, TypeMessage, TypeJoined, TypeConversation, TypeReceipt,
			TypePresence, TypeTyping, TypeError, TypePong},
	}
	for side, types := range want {
		for _, typ := range types {
			if !isClientType(typ) && side == "client" {
				t.Errorf("%s is not a client type", typ)
			}
			if _, err := os.Stat(goldenPath(side, typ)); err != nil {
				t.Errorf("no golden file for %s frame %s: %v", side, typ, err)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	if len(files) != len(clientGolden)+len(serverGolden) {
		t.Errorf("%d golden files, want %d", len(files), len(clientGolden)+len(serverGolden))
	}
}

// TestProtocolExamplesAreGolden keeps the examples in docs/protocol.md
// byte-identical to the golden files.
func TestProtocolExamplesAreGolden(t *testing.T) {
	doc, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatalf("read protocol document: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(doc, append([]byte("\n"), b...)) {
			t.Errorf("docs/protocol.md does not show %s as an example", path)
		}
	}
}
