package main

import (
	"encoding/json"

	"github.com/helpr-chat/helpr/transport/wire"
)

// The harness's per-message path: frames it sends and reads for every
// message are encoded by hand and decoded into just the fields it checks,
// so the harness takes as little CPU from the server it shares a machine
// with as it can.

// appendMessageSend appends a message.send frame to b.
func appendMessageSend(b []byte, ref, conv, clientID, text string) []byte {
	b = append(b, `{"type":"message.send","ref":`...)
	b = appendJSONString(b, ref)
	b = append(b, `,"data":{"conversation_id":`...)
	b = appendJSONString(b, conv)
	b = append(b, `,"client_id":`...)
	b = appendJSONString(b, clientID)
	b = append(b, `,"text":`...)
	b = appendJSONString(b, text)
	return append(b, "}}"...)
}

// appendJSONString appends s as a JSON string: as is when it holds only
// printable ASCII that needs no escape (ids, stamped texts), else through
// encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// benchMessage is the part of a message frame the harness checks.
type benchMessage struct {
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq"`
	SenderKind     string `json:"sender_kind"`
	Text           string `json:"text"`
}

// decodeMessage reads a message frame's checked fields.
func decodeMessage(data []byte) (wire.Message, error) {
	var m benchMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return wire.Message{}, err
	}
	return wire.Message{ConversationID: m.ConversationID, Seq: m.Seq, SenderKind: m.SenderKind, Text: m.Text}, nil
}

// benchAck is the part of an ack frame the harness checks.
type benchAck struct {
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq"`
	Duplicate      bool   `json:"duplicate"`
}

// decodeAck reads an ack frame's checked fields.
func decodeAck(data []byte) (benchAck, error) {
	var a benchAck
	err := json.Unmarshal(data, &a)
	return a, err
}
