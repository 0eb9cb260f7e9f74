// Package ca is Shoal's own certificate authority: an ECDSA P-256 key and
// a self-signed CA certificate kept in the data directory, which signs the
// X.509 certificates Shoal issues to devices at bootstrap and the DTLS
// certificate its own listeners present.
//
// Init creates the pair (`shoal ca init`); Load reads it back. The CA
// certificate is stored as PEM (ca.crt). The private key never touches the
// disk in clear: ca.key holds its PKCS#8 form sealed with AES-256-GCM under
// a key derived from the data directory's secret key, bound by additional
// data to the CA certificate it belongs to, so a key file copied next to
// another certificate does not open.
//
// Issued device certificates carry the endpoint name as their CN, a
// 128-bit random serial, the client-authentication extended key usage and
// a bounded validity; their private keys are generated here and handed to
// the caller once (the bootstrap server writes them into the device's
// Security object).
package ca
