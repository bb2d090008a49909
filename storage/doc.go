// Package storage holds helpr's domain types, the store interfaces every
// backend implements, and the errors backends translate their driver errors
// into.
//
// Every query is scoped by organisation id except the few lookups whose key
// itself identifies the tenant (an agent's login email, a widget's
// publishable key, a token hash); those are named explicitly in the
// interfaces below. A record of another organisation is reported as
// ErrNotFound, never as a permission error, so a caller cannot probe for the
// existence of other tenants' ids.
//
// Times are stored with millisecond precision and returned in UTC; callers
// should pass times already truncated to the millisecond so that what they
// wrote compares equal to what they read.
package storage
