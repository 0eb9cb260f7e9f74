// Package sim runs simulated LwM2M devices (lwm2m/client) in bulk: a fleet
// of N devices against one management server, started at a ramp rate with
// per-device jitter, optionally provisioned first, driven by scenario knobs
// (value changes, Sends and Registration Updates per second), and measured
// (registered and online devices, event counters, latency percentiles,
// process CPU and memory). The devices share a few UDP sockets, each
// sending from its own loopback address (127.x.y.z), so one process can
// hold 100,000 of them within a 20,000 file-descriptor limit.
//
// It is the engine behind `shoal-sim fleet` (the load generator of every
// benchmark), `shoal serve --demo N` (DemoConfig) and, through Console, the
// interactive single-device prompt of `shoal-sim device`.
package sim
