// Package testsvc starts the real services that helpr's tests need — a
// Redis server and a MongoDB-wire server (FerretDB, embedded in a launcher
// program kept in its own nested module under internal/testsvc/ferretdb so
// its dependencies stay out of the product's go.mod) — on free loopback
// ports, idempotently — and an SMTP server (StartSMTP) inside the test
// binary, which records the mail it accepts.
//
// HELPR_TEST_REDIS_URL and HELPR_TEST_MONGO_URI point the tests at existing
// servers instead. FerretDB serves from a fresh database on a local
// PostgreSQL when one is usable and from SQLite otherwise;
// HELPR_TEST_POSTGRES_URL chooses (see MongoURI). When a service cannot be started, tests fail loudly when
// the CI environment variable is set and skip with the reason otherwise.
package testsvc
