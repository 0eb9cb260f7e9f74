// Package dm holds Shoal's device-management use cases: device inventory and
// onboarding, profiles, credentials, command delivery, telemetry ingestion,
// connection status, alarms, firmware campaigns, customers and tokens.
//
// dm declares the persistence it needs as small interfaces, one per
// aggregate (store.go), together with the typed errors every implementation
// returns (errors.go). Package storage implements them on SQLite and
// PostgreSQL; dm never imports storage, database/sql, net/http or go-coap.
package dm
