package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pb33f/jsonschema/v6"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/helpr-chat/helpr/transport/ws"
)

// pendingRoutes are routes the document describes ahead of the branch that
// registers them: documented, not yet routed. Every issue-12 branch is
// merged, so it is empty; TestOpenAPIMatchesRouter fails on an entry that
// is routed (delete it then).
var pendingRoutes = []string{}

// servedOutside are /rest/v1 routes that cmd/helpr mounts beside this
// API's router (transport/ws): documented, never in the router.
var servedOutside = []string{
	"GET /ws",        // ws.Server, cmd/helpr/routes.go
	"POST /ws/check", // ws.CheckPath
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openAPIBytes is the served document (converted from the YAML source).
func openAPIBytes(t testing.TB) []byte {
	t.Helper()
	b, err := OpenAPIJSON()
	if err != nil {
		t.Fatalf("openapi: %v", err)
	}
	return b
}

// openAPIMap is the document as generic JSON.
func openAPIMap(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("openapi json: %v", err)
	}
	return m
}

// validateOpenAPI parses b with libopenapi and validates it against the
// OpenAPI 3.1 specification schema.
func validateOpenAPI(b []byte) (validator.Validator, []string) {
	doc, err := libopenapi.NewDocument(b)
	if err != nil {
		return nil, []string{"parse: " + err.Error()}
	}
	if v := doc.GetVersion(); v != "3.1.0" {
		return nil, []string{"openapi version " + v + ", want 3.1.0"}
	}
	if _, err := doc.BuildV3Model(); err != nil {
		return nil, []string{"model: " + err.Error()}
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		out := []string{}
		for _, e := range errs {
			out = append(out, "validator: "+e.Error())
		}
		return nil, out
	}
	if err := checkSchemaDialect(b); err != nil {
		return nil, []string{err.Error()}
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		out := []string{}
		for _, e := range verrs {
			msg := e.Message + ": " + e.Reason
			for _, se := range e.SchemaValidationErrors {
				msg += "; " + se.KeywordLocation + " at " + se.FieldPath + ": " + se.Reason
			}
			out = append(out, msg)
		}
		if len(out) == 0 {
			out = append(out, "invalid (no details)")
		}
		return nil, out
	}
	return v, nil
}

// checkSchemaDialect compiles every Schema Object of the document (the
// components and the inline ones) as JSON Schema 2020-12, the 3.1 dialect,
// which checks each against the meta-schema: the OpenAPI schema above
// leaves Schema Objects unchecked.
func checkSchemaDialect(b []byte) error {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	defs := map[string]any{}
	for name, s := range m["components"].(map[string]any)["schemas"].(map[string]any) {
		defs[name] = s
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if sch, ok := c.(map[string]any); ok && k == "schema" {
					defs[fmt.Sprintf("inline_%d", len(defs))] = sch
					continue
				}
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(m["paths"])
	walk(m["components"])
	root, err := json.Marshal(map[string]any{"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": defs})
	if err != nil {
		return err
	}
	root = bytes.ReplaceAll(root, []byte(`"#/components/schemas/`), []byte(`"#/$defs/`))
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(root))
	if err != nil {
		return err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("mem:///openapi-schemas.json", doc); err != nil {
		return fmt.Errorf("schemas: %w", err)
	}
	if _, err := c.Compile("mem:///openapi-schemas.json"); err != nil {
		return fmt.Errorf("schemas are not valid JSON Schema 2020-12: %w", err)
	}
	return nil
}

// The served document is valid OpenAPI 3.1 for a real validator.
func TestOpenAPIDocumentValid(t *testing.T) {
	if _, errs := validateOpenAPI(openAPIBytes(t)); len(errs) > 0 {
		t.Fatalf("openapi.json is not valid OpenAPI 3.1:\n%s", strings.Join(errs, "\n"))
	}
}

// The validator is not a rubber stamp: documents broken in ways the 3.1
// schema forbids are refused.
func TestOpenAPIValidatorCatches31Errors(t *testing.T) {
	for name, breakIt := range map[string]func(m map[string]any){
		"no info":             func(m map[string]any) { delete(m, "info") },
		"info without title":  func(m map[string]any) { delete(m["info"].(map[string]any), "title") },
		"bad scheme type":     func(m map[string]any) { scheme(m, "apiKey")["type"] = "password" },
		"http without scheme": func(m map[string]any) { delete(scheme(m, "bearerSession"), "scheme") },
		"servers not a list":  func(m map[string]any) { m["servers"] = "/rest/v1" },
		"path without slash": func(m map[string]any) {
			p := m["paths"].(map[string]any)
			p["me"] = p["/me"]
		},
		"response code word": func(m map[string]any) {
			op := m["paths"].(map[string]any)["/me"].(map[string]any)["get"].(map[string]any)
			op["responses"].(map[string]any)["ok"] = map[string]any{"description": "x"}
		},
		// 3.1 rules: a license has an identifier or a url, not both;
		// JSON Schema 2020-12's exclusiveMinimum is a number (3.0's was a
		// boolean).
		"license identifier and url": func(m map[string]any) {
			m["info"].(map[string]any)["license"].(map[string]any)["url"] = "https://example.com/license"
		},
		"3.0 boolean exclusiveMinimum": func(m map[string]any) {
			schema(m, "Time")["exclusiveMinimum"] = true
		},
		"parameter without in": func(m map[string]any) {
			delete(m["components"].(map[string]any)["parameters"].(map[string]any)["Cursor"].(map[string]any), "in")
		},
	} {
		t.Run(name, func(t *testing.T) {
			m := openAPIMap(t, openAPIBytes(t))
			breakIt(m)
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if _, errs := validateOpenAPI(b); len(errs) == 0 {
				t.Fatal("the broken document validated")
			}
		})
	}
}

func schema(m map[string]any, name string) map[string]any {
	return m["components"].(map[string]any)["schemas"].(map[string]any)[name].(map[string]any)
}

func scheme(m map[string]any, name string) map[string]any {
	return m["components"].(map[string]any)["securitySchemes"].(map[string]any)[name].(map[string]any)
}

// documentedRoutes lists the document's operations as "METHOD /path".
func documentedRoutes(m map[string]any) []string {
	var out []string
	for path, item := range m["paths"].(map[string]any) {
		for _, method := range httpMethods {
			if _, ok := item.(map[string]any)[method]; ok {
				out = append(out, strings.ToUpper(method)+" "+path)
			}
		}
	}
	sort.Strings(out)
	return out
}

// allRoutesConfig turns on every optional route, so that the router lists
// them all (e.g. a route registered only in development mode belongs here).
func allRoutesConfig(c *Config) { c.Dev = true }

// routedRoutes lists the real router's routes.
func routedRoutes(t *testing.T) []string {
	t.Helper()
	e := newEnv(t, allRoutesConfig)
	out := e.api.newRoutes().routes()
	sort.Strings(out)
	return out
}

// Every route is documented, every documented operation is routed (or
// pending on another branch), and nothing pending is routed already.
func TestOpenAPIMatchesRouter(t *testing.T) {
	documented := documentedRoutes(openAPIMap(t, openAPIBytes(t)))
	routed := routedRoutes(t)
	var problems []string
	for _, r := range routed {
		if !slices.Contains(documented, r) {
			problems = append(problems, "routed but not documented in transport/api/openapi/openapi.yaml: "+r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routed, d) && !slices.Contains(pendingRoutes, d) && !slices.Contains(servedOutside, d) {
			problems = append(problems, "documented but no such route: "+d)
		}
	}
	for _, p := range append(slices.Clone(pendingRoutes), servedOutside...) {
		switch {
		case slices.Contains(routed, p):
			problems = append(problems, "routed now, delete it from pendingRoutes (or servedOutside): "+p)
		case !slices.Contains(documented, p):
			problems = append(problems, "listed as pending or served outside but not documented: "+p)
		}
	}
	if len(problems) > 0 {
		t.Fatalf("openapi.json and the router differ:\n  %s", strings.Join(problems, "\n  "))
	}
	if prefix+"/ws/check" != ws.CheckPath {
		t.Errorf("ws.CheckPath is %s now: update servedOutside and the document", ws.CheckPath)
	}
	if len(routed) < 50 {
		t.Fatalf("only %d routes listed: the router's listing is broken", len(routed))
	}
}

// resolve follows a local $ref.
func resolve(m map[string]any, v any) map[string]any {
	obj, _ := v.(map[string]any)
	for obj != nil {
		ref, ok := obj["$ref"].(string)
		if !ok {
			return obj
		}
		cur := any(m)
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = cur.(map[string]any)[part]
		}
		obj, _ = cur.(map[string]any)
	}
	return obj
}

// forEachOperation calls f for every operation.
func forEachOperation(m map[string]any, f func(route string, op map[string]any)) {
	for path, item := range m["paths"].(map[string]any) {
		for _, method := range httpMethods {
			if op, ok := item.(map[string]any)[method].(map[string]any); ok {
				f(strings.ToUpper(method)+" "+path, op)
			}
		}
	}
}

// keyScope returns the apiKey requirement's scope of op ("" without one)
// and the scheme names op's security lists.
func keyScope(op map[string]any) (scope string, schemes []string, declared bool) {
	sec, declared := op["security"].([]any)
	for _, req := range sec {
		for name, roles := range req.(map[string]any) {
			schemes = append(schemes, name)
			if name == "apiKey" {
				rs := roles.([]any)
				if len(rs) == 1 {
					scope, _ = rs[0].(string)
				} else {
					scope = fmt.Sprint(rs)
				}
			}
		}
	}
	return scope, schemes, declared
}

// Per operation: explicit security; x-helpr-scope == the apiKey
// requirement's scope == routeScopes, the scope gate's table (and nothing
// else admits keys); key operations document the rate-limit headers and 429.
func TestOpenAPIScopes(t *testing.T) {
	m := openAPIMap(t, openAPIBytes(t))
	seen := map[string]bool{}
	forEachOperation(m, func(route string, op map[string]any) {
		scope, schemes, declared := keyScope(op)
		xs, _ := op["x-helpr-scope"].(string)
		switch {
		case !declared:
			t.Errorf("%s: no security (write security: [] for a public route)", route)
		case xs != scope:
			t.Errorf("%s: x-helpr-scope %q, apiKey requirement %q", route, xs, scope)
		case routeScopes[route] != scope:
			t.Errorf("%s: key scope %q, routeScopes (scopes.go) says %q", route, scope, routeScopes[route])
		}
		if scope != "" {
			seen[route] = true
			checkKeyResponses(t, m, route, op)
		}
		for _, s := range schemes {
			if resolve(m, map[string]any{"$ref": "#/components/securitySchemes/" + s}) == nil {
				t.Errorf("%s: unknown security scheme %q", route, s)
			}
		}
	})
	for route := range routeScopes {
		if !seen[route] {
			t.Errorf("%s: in the scope table but not documented for keys", route)
		}
	}
}

func checkKeyResponses(t *testing.T, m map[string]any, route string, op map[string]any) {
	t.Helper()
	responses := op["responses"].(map[string]any)
	limited := resolve(m, responses["429"])
	if limited == nil || resolve(m, limited["headers"].(map[string]any)["Retry-After"]) == nil {
		t.Errorf("%s: a key operation needs a 429 answer with Retry-After", route)
	}
	for code, r := range responses {
		if !strings.HasPrefix(code, "2") {
			continue
		}
		h, _ := resolve(m, r)["headers"].(map[string]any)
		for _, name := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
			if h[name] == nil {
				t.Errorf("%s %s: no %s header", route, code, name)
			}
		}
	}
}

// Every JSON request body refuses unknown fields, as the decoder does.
func TestOpenAPIRequestBodiesClosed(t *testing.T) {
	m := openAPIMap(t, openAPIBytes(t))
	forEachOperation(m, func(route string, op map[string]any) {
		body := resolve(m, op["requestBody"])
		if body == nil {
			return
		}
		media := body["content"].(map[string]any)["application/json"]
		if media == nil {
			t.Errorf("%s: request body is not application/json", route)
			return
		}
		schema := resolve(m, media.(map[string]any)["schema"])
		if schema["additionalProperties"] != false {
			t.Errorf("%s: request body schema lacks additionalProperties: false", route)
		}
	})
}

// GET /openapi.json serves the document publicly, cacheably, as JSON.
func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/rest/v1/openapi.json", nil).expect(t, http.StatusOK, "")
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := r.header.Get("Cache-Control"); !strings.HasPrefix(cc, "public") {
		t.Errorf("Cache-Control %q, want public", cc)
	}
	if string(r.body) != string(openAPIBytes(t)) {
		t.Error("served body differs from OpenAPIJSON")
	}
	if !json.Valid(r.body) {
		t.Fatal("not JSON")
	}
	etag := r.header.Get("ETag")
	e.do("GET", "/rest/v1/openapi.json", nil, header("If-None-Match", etag)).expect(t, http.StatusNotModified, "")
	e.do("POST", "/rest/v1/openapi.json", nil).expect(t, http.StatusMethodNotAllowed, "method_not_allowed")
}

// The YAML → JSON conversion keeps order and types, and refuses what JSON
// cannot say.
func TestYAMLToJSON(t *testing.T) {
	got, err := yamlToJSON([]byte("x-anchors:\n  a: &a [1, two]\nb: *a\nc: {'200': null, t: true, f: 1.5}\nd: '2026-01-01'\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"b":[1,"two"],"c":{"200":null,"t":true,"f":1.5},"d":"2026-01-01"}`; string(got) != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	for _, bad := range []string{"a: 1\na: 2\n", "a: 2026-01-01\n", "a: {<<: {b: 1}}\n", "a: !!binary aGk=\n"} {
		if _, err := yamlToJSON([]byte(bad)); err == nil {
			t.Errorf("%q converted", bad)
		}
	}
}
