// Package lwm2m is Shoal's protocol vocabulary: paths, the node model, typed
// values, content formats, object and resource models, the request and
// response types of every device-management operation, and Status, a CoAP
// response code that is also an error.
//
// It imports only the standard library. Every other package speaks in these
// types; raw path strings and raw CoAP codes never cross a package boundary.
package lwm2m
