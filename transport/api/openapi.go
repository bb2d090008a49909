package api

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"go.yaml.in/yaml/v3"
)

// openAPISource is the hand-written OpenAPI 3.1 document of every /rest/v1
// route (docs/api.md, "OpenAPI document").
//
//go:embed openapi/openapi.yaml
var openAPISource []byte

// openAPIDoc is the document as JSON, with its ETag, converted once (New
// converts it, so a broken source fails at start).
type openAPIDoc struct {
	json []byte
	etag string
}

var openAPI = sync.OnceValues(func() (openAPIDoc, error) {
	b, err := yamlToJSON(openAPISource)
	if err != nil {
		return openAPIDoc{}, fmt.Errorf("openapi document: %w", err)
	}
	sum := sha256.Sum256(b)
	return openAPIDoc{json: b, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}, nil
})

// OpenAPIJSON returns the OpenAPI document served at /rest/v1/openapi.json.
func OpenAPIJSON() ([]byte, error) {
	d, err := openAPI()
	return d.json, err
}

// openAPIRoutes registers GET /openapi.json.
func (a *API) openAPIRoutes(r *router) {
	r.handle("GET", "/openapi.json", a.handleOpenAPI)
}

// handleOpenAPI serves the document: public, cacheable, revalidated by ETag.
func (a *API) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	d, err := openAPI()
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("ETag", d.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Header.Get("If-None-Match") == d.etag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(d.json)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(d.json)
	}
	return nil
}

// anchorsKey is the top-level key of the source that only holds YAML
// anchors; the JSON leaves it out.
const anchorsKey = "x-anchors"

// yamlToJSON converts a YAML document to JSON, keeping the key order.
// Mapping keys must be scalars and unique; merge keys are refused.
func yamlToJSON(src []byte) ([]byte, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return nil, err
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 {
		return nil, errors.New("want exactly one YAML document")
	}
	var buf bytes.Buffer
	if err := writeJSON(&buf, root.Content[0], true); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeJSON(buf *bytes.Buffer, n *yaml.Node, top bool) error {
	switch n.Kind {
	case yaml.AliasNode:
		return writeJSON(buf, n.Alias, false)
	case yaml.MappingNode:
		return writeMapping(buf, n, top)
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSON(buf, c, false); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	case yaml.ScalarNode:
		return writeScalar(buf, n)
	default:
		return fmt.Errorf("line %d: unsupported YAML node", n.Line)
	}
}

func writeMapping(buf *bytes.Buffer, n *yaml.Node, top bool) error {
	buf.WriteByte('{')
	seen := map[string]bool{}
	first := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
			return fmt.Errorf("line %d: mapping keys must be plain scalars", k.Line)
		}
		if seen[k.Value] {
			return fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
		}
		seen[k.Value] = true
		if top && k.Value == anchorsKey {
			continue
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		key, _ := json.Marshal(k.Value)
		buf.Write(key)
		buf.WriteByte(':')
		if err := writeJSON(buf, v, false); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

func writeScalar(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		buf.WriteString("null")
	case "!!bool", "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		buf.Write(b)
	case "!!str":
		b, _ := json.Marshal(n.Value)
		buf.Write(b)
	default: // timestamps, binary and the like: the source must quote them
		return fmt.Errorf("line %d: scalar %q of type %s: quote it", n.Line, n.Value, n.ShortTag())
	}
	return nil
}
