// Package httpx holds the small HTTP helpers shared by the REST API and the
// WebSocket endpoint: JSON errors and bodies, client IP resolution behind
// trusted proxies, bearer and cookie token extraction, and the same-origin
// check used against cross-site request forgery.
//
// Every function is safe for concurrent use.
package httpx
