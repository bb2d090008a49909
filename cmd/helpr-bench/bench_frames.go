package main

import (
	"bytes"
	"encoding/json"
	"strconv"

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

// decodeMessage reads a message frame's checked fields (a scan of the top
// level; encoding/json when a string holds escapes).
func decodeMessage(data []byte) (wire.Message, error) {
	var m wire.Message
	ok := scanObject(data, func(key, v []byte) bool {
		switch string(key) {
		case "conversation_id":
			return rawString(v, &m.ConversationID)
		case "seq":
			return rawInt(v, &m.Seq)
		case "sender_kind":
			return rawString(v, &m.SenderKind)
		case "text":
			return rawString(v, &m.Text)
		}
		return true
	})
	if ok {
		return m, nil
	}
	var bm benchMessage
	if err := json.Unmarshal(data, &bm); err != nil {
		return wire.Message{}, err
	}
	return wire.Message{ConversationID: bm.ConversationID, Seq: bm.Seq, SenderKind: bm.SenderKind, Text: bm.Text}, nil
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
	ok := scanObject(data, func(key, v []byte) bool {
		switch string(key) {
		case "conversation_id":
			return rawString(v, &a.ConversationID)
		case "seq":
			return rawInt(v, &a.Seq)
		case "duplicate":
			a.Duplicate = string(v) == "true"
			return string(v) == "true" || string(v) == "false"
		}
		return true
	})
	if ok {
		return a, nil
	}
	a = benchAck{}
	err := json.Unmarshal(data, &a)
	return a, err
}

// scanObject calls field for each member of the JSON object b with its
// raw value, and reports whether b was one well-formed object every field
// call accepted. Keys with escapes are not recognised (false).
func scanObject(b []byte, field func(key, v []byte) bool) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipSpace(b, i+1) == len(b)
	}
	for i < len(b) {
		kEnd := skipString(b, i)
		if kEnd < 0 {
			return false
		}
		key := b[i+1 : kEnd-1]
		i = skipSpace(b, kEnd)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		vEnd := skipValue(b, i)
		if vEnd < 0 || bytes.IndexByte(key, '\\') >= 0 || !field(key, b[i:vEnd]) {
			return false
		}
		i = skipSpace(b, vEnd)
		if i >= len(b) {
			return false
		}
		if b[i] == '}' {
			return skipSpace(b, i+1) == len(b)
		}
		if b[i] != ',' {
			return false
		}
		i = skipSpace(b, i+1)
	}
	return false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] (-1: none).
func skipString(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// skipValue returns the index after the value starting at b[i] (-1: none).
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e := skipString(b, j)
				if e < 0 {
					return -1
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\t' && b[j] != '\r' {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// rawString sets *s from a raw JSON string without escapes (false: not
// one).
func rawString(v []byte, s *string) bool {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' || bytes.IndexByte(v, '\\') >= 0 {
		return false
	}
	*s = string(v[1 : len(v)-1])
	return true
}

// rawInt sets *n from a raw JSON integer (false: not one).
func rawInt(v []byte, n *int64) bool {
	x, err := strconv.ParseInt(string(v), 10, 64)
	*n = x
	return err == nil
}
