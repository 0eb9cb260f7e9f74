// Package firmware is the byte side of firmware over the air: Dir keeps
// uploaded images as files in the data directory, and Files serves the
// packages devices pull by CoAP and CoAPS on the LwM2M listeners
// (lwm2m/server's Files hook), block by block (RFC 7959 Block2), to
// whoever holds a Package URI's one-time token. The HTTP(S) side of the
// same service is a route of package api. Which device gets which image,
// when and how, is dm's business; this package asks dm for the package a
// token stands for and reads the bytes.
//
// # Why files, also with PostgreSQL
//
// Images are large (64 MiB and more) and are read block by block, at any
// offset, by many devices at once. As files they stream in with their
// SHA-256 computed on the way, are served with pread from the page cache,
// and keep the database, its WAL, replicas and backups small. A
// multi-node deployment on PostgreSQL therefore shares the data
// directory's firmware/ folder between its nodes (NFS, a cloud file
// share, a shared volume): every node must find every image's file. A
// node that does not fails the jobs it would deliver with reason
// "image-missing" instead of serving something else.
package firmware
