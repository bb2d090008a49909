package sqlite

import (
	"database/sql/driver"
	"fmt"

	"modernc.org/sqlite"

	"github.com/helpr-chat/helpr/storage"
)

// previewFunc names storage.PreviewOf as an SQL function, for migration
// 0004's backfill. No schema object (trigger, view, check) may use it: a
// database opened without this package would fail on it.
const previewFunc = "helpr_preview"

func init() {
	sqlite.MustRegisterDeterministicScalarFunction(previewFunc, 1, sqlPreview)
}

// sqlPreview is helpr_preview(text): storage.PreviewOf of a TEXT or BLOB
// value, the empty string for NULL.
func sqlPreview(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	switch v := args[0].(type) {
	case nil:
		return "", nil
	case string:
		return storage.PreviewOf(v), nil
	case []byte:
		return storage.PreviewOf(string(v)), nil
	default:
		return nil, fmt.Errorf("%s: unexpected %T", previewFunc, v)
	}
}
