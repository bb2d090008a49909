package main

import "net/http"

// defaultCSP applies to every response that does not set its own policy
// (JSON, errors, 404s): it loads nothing and may not be framed.
const defaultCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// securityHeaders sets the headers every response carries; handlers that
// serve pages replace the Content-Security-Policy with their own. hsts adds
// Strict-Transport-Security (only when the node serves TLS itself).
func securityHeaders(next http.Handler, hsts bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Content-Security-Policy", defaultCSP)
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}
