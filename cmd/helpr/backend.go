package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/mongo"
	"github.com/helpr-chat/helpr/storage/sqlite"
)

// openStore opens the configured backend: the embedded SQLite file under
// the data directory, or MongoDB (whose start-up maintenance, such as the
// search-word backfill, logs to log).
func openStore(ctx context.Context, cfg Config, log zerolog.Logger) (storage.Store, error) {
	switch cfg.Store {
	case "mongo":
		s, err := mongo.Open(ctx, cfg.MongoURI, cfg.MongoDatabase, mongo.WithLogger(log))
		if err != nil {
			return nil, fmt.Errorf("open mongodb store: %w", err)
		}
		return s, nil
	default:
		s, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "helpr.db"))
		if err != nil {
			return nil, fmt.Errorf("open embedded store: %w", err)
		}
		return s, nil
	}
}
