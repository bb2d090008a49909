package testsvc

import "strings"

// postgresEnv names the variable choosing the FerretDB launcher's backend:
// unset probes postgresProbeURL and falls back to SQLite; "sqlite" (or
// "off", "none") forces SQLite; anything else is a PostgreSQL URL that
// must be usable.
const postgresEnv = "HELPR_TEST_POSTGRES_URL"

// postgresProbeURL is the PostgreSQL the launcher tries when postgresEnv is
// unset: the default port on loopback, as the usual superuser (credentials,
// if the server wants any, from PGPASSWORD or ~/.pgpass), with a short
// connection timeout so that an absent server costs little.
const postgresProbeURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=2"

// backendArgs returns the launcher arguments choosing its backend for the
// value env of postgresEnv. With PostgreSQL the launcher serves from a fresh
// database helpr_test_… that it drops when it stops.
func backendArgs(env string) []string {
	switch strings.ToLower(strings.TrimSpace(env)) {
	case "":
		return []string{"-postgres", postgresProbeURL, "-fallback"}
	case "sqlite", "off", "none":
		return nil
	default:
		return []string{"-postgres", strings.TrimSpace(env)}
	}
}
