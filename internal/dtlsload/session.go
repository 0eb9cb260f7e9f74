// Package dtlsload is a lean DTLS client for load generation: pion/dtls
// performs a PSK handshake with connection ID, then the session's keys are
// taken from pion's exported state and records are sealed and opened
// directly with pion's record-layer and AEAD primitives, with none of the
// goroutines a pion connection runs per datagram. That lets one process
// drive thousands of sessions at a rate that measures the server rather
// than the client. Benchmarks only (lwm2m/server's DTLS benchmark and the
// published harness, bench/): it is the one package outside lwm2m/coap
// that imports pion, and it lives at the module's internal/ so that both
// can use it; nothing shipped imports it.
package dtlsload

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/crypto/ciphersuite"
	"github.com/pion/dtls/v3/pkg/crypto/prf"
	"github.com/pion/dtls/v3/pkg/protocol"
	"github.com/pion/dtls/v3/pkg/protocol/recordlayer"
)

// Suites this package can seal records for.
const (
	PSKWithAES128CCM8      uint16 = 0xC0A8
	PSKWithAES128GCMSHA256 uint16 = 0x00A8
)

type cipher interface {
	Encrypt(pkt *recordlayer.RecordLayer, raw []byte) ([]byte, error)
	Decrypt(h recordlayer.Header, in []byte) ([]byte, error)
}

// Session is an established DTLS 1.2 session whose records this process
// writes itself. Seal and Open are safe for concurrent use.
type Session struct {
	mu     sync.Mutex
	cid    []byte
	seq    uint64
	cipher cipher
}

// exported mirrors the fields of pion's serialized state this package
// needs (gob matches them by name).
type exported struct {
	LocalEpoch         uint16
	LocalRandom        [32]byte
	RemoteRandom       [32]byte
	CipherSuiteID      uint16
	MasterSecret       []byte
	SequenceNumber     uint64
	RemoteConnectionID []byte
}

// Handshake runs a DTLS-PSK client handshake with connection ID over pc
// and returns the session. pc is closed afterwards, which stops pion
// without a close_notify: the server keeps the session.
func Handshake(ctx context.Context, pc net.PacketConn, server net.Addr, identity, key []byte, suite uint16) (*Session, error) {
	defer pc.Close()
	conn, err := dtls.ClientWithOptions(pc, server,
		dtls.WithPSK(func([]byte) ([]byte, error) { return key, nil }),
		dtls.WithPSKIdentityHint(identity),
		dtls.WithCipherSuites(dtls.CipherSuiteID(suite)),
		dtls.WithConnectionIDGenerator(dtls.OnlySendCIDGenerator()),
		dtls.WithExtendedMasterSecret(dtls.RequestExtendedMasterSecret),
	)
	if err != nil {
		return nil, err
	}
	if err := conn.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("dtlsload: handshake: %w", err)
	}
	st, ok := conn.ConnectionState()
	if !ok {
		return nil, errors.New("dtlsload: no connection state")
	}
	raw, err := st.MarshalBinary()
	if err != nil {
		return nil, err
	}
	var ex exported
	if err := gob.NewDecoder(bytes.NewReader(raw)).Decode(&ex); err != nil {
		return nil, fmt.Errorf("dtlsload: state: %w", err)
	}
	if ex.LocalEpoch != 1 || len(ex.RemoteConnectionID) == 0 {
		return nil, fmt.Errorf("dtlsload: epoch %d, connection id %x: not usable", ex.LocalEpoch, ex.RemoteConnectionID)
	}
	keys, err := prf.GenerateEncryptionKeys(ex.MasterSecret, ex.LocalRandom[:], ex.RemoteRandom[:], 0, 16, 4, sha256.New)
	if err != nil {
		return nil, err
	}
	s := &Session{cid: ex.RemoteConnectionID, seq: ex.SequenceNumber}
	switch ex.CipherSuiteID {
	case PSKWithAES128CCM8:
		s.cipher, err = ciphersuite.NewCCM(ciphersuite.CCMTagLength8, keys.ClientWriteKey, keys.ClientWriteIV, keys.ServerWriteKey, keys.ServerWriteIV)
	case PSKWithAES128GCMSHA256:
		s.cipher, err = ciphersuite.NewGCM(keys.ClientWriteKey, keys.ClientWriteIV, keys.ServerWriteKey, keys.ServerWriteIV)
	default:
		return nil, fmt.Errorf("dtlsload: cipher suite %#04x not supported", ex.CipherSuiteID)
	}
	return s, err
}

// Seal wraps an application datagram in one epoch-1 record carrying the
// server's connection ID (RFC 9146 tls12_cid with inner plaintext).
func (s *Session) Seal(data []byte) ([]byte, error) {
	inner, err := (&recordlayer.InnerPlaintext{Content: data, RealType: protocol.ContentTypeApplicationData}).Marshal()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	seq := s.seq
	s.seq++
	s.mu.Unlock()
	h := recordlayer.Header{
		Version: protocol.Version1_2, ContentType: protocol.ContentTypeConnectionID, Epoch: 1,
		SequenceNumber: seq, ConnectionID: s.cid, ContentLen: uint16(len(inner)),
	}
	raw, err := h.Marshal()
	if err != nil {
		return nil, err
	}
	raw = append(raw, inner...)
	return s.cipher.Encrypt(&recordlayer.RecordLayer{Header: h}, raw)
}

// Open decrypts one application-data record from the server (which sends
// no connection ID to this client) and returns its payload.
func (s *Session) Open(datagram []byte) ([]byte, error) {
	var h recordlayer.Header
	if err := h.Unmarshal(datagram); err != nil {
		return nil, err
	}
	if h.ContentType != protocol.ContentTypeApplicationData {
		return nil, fmt.Errorf("dtlsload: record type %d", h.ContentType)
	}
	out, err := s.cipher.Decrypt(h, datagram)
	if err != nil {
		return nil, err
	}
	return out[h.Size():], nil
}
