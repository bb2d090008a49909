// Package widget holds the visitor widget and agent console assets and
// exposes the built files to the server. Until the widget issue lands it
// serves a placeholder page that says how to use the API.
package widget

import (
	"embed"
	"io/fs"
)

//go:embed dist
var dist embed.FS

// Assets returns the built files, rooted at the dist directory.
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the directory is embedded at build time; absent means a broken build
	}
	return sub
}
