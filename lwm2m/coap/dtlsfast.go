package coap

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/crypto/ciphersuite"
	"github.com/pion/dtls/v3/pkg/crypto/prf"
	"github.com/pion/dtls/v3/pkg/protocol"
	"github.com/pion/dtls/v3/pkg/protocol/alert"
	"github.com/pion/dtls/v3/pkg/protocol/recordlayer"
	"github.com/pion/transport/v5/replaydetector"
)

// fastSession runs the record layer of an established DTLS session for
// application data, after pion has done the handshake.
//
// Why: pion/dtls hands every datagram through three goroutines and starts
// a goroutine for every read and every write (its context-aware packet
// conn), and each idle session keeps a goroutine parked on an 8 KiB read
// buffer. Measured on two cores that bounds a server to about 20,000
// CoAP requests/s and costs ~22 KiB per session. Application data does not
// need any of it: the keys are in pion's exported session state, and
// pion's own record-layer, AEAD and replay-window packages seal and open
// the records. Handshake records keep going to pion until the peer's
// first application data proves both sides finished the handshake; then
// pion's transport is closed (without a close_notify) and its goroutines
// end.
type fastSession struct {
	mux    *dtlsMux
	mc     *muxConn
	cipher interface {
		Encrypt(pkt *recordlayer.RecordLayer, raw []byte) ([]byte, error)
		Decrypt(h recordlayer.Header, in []byte) ([]byte, error)
	}
	// sendCID is the peer's connection ID, carried in our records (none:
	// plain records).
	sendCID []byte
	seq     atomic.Uint64
	peer    *Peer
	onClose func()

	mu       sync.Mutex
	replay   replaydetector.ReplayDetector
	addr     netip.AddrPort
	addrUA   *net.UDPAddr
	addrStr  string
	detached bool
	closed   bool
}

// exportedState mirrors the fields of pion's serialized session state
// that are needed here (gob matches fields by name).
type exportedState struct {
	LocalEpoch         uint16
	LocalRandom        [32]byte
	RemoteRandom       [32]byte
	CipherSuiteID      uint16
	MasterSecret       []byte
	SequenceNumber     uint64
	RemoteConnectionID []byte
	IsClient           bool
}

// seqOffset separates our record sequence numbers from any record pion
// might still send in epoch 1 (a retransmitted Finished).
const seqOffset = 1 << 16

// errNoFastPath: the suite has no lean record layer; pion keeps the
// session.
var errNoFastPath = errors.New("no lean record layer for this session")

// newFastSession takes the keys of a server-side session.
func newFastSession(conn *dtls.Conn, m *dtlsMux, mc *muxConn) (*fastSession, error) {
	st, ok := conn.ConnectionState()
	if !ok {
		return nil, errNoFastPath
	}
	raw, err := st.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoFastPath, err)
	}
	var ex exportedState
	if err := gob.NewDecoder(bytes.NewReader(raw)).Decode(&ex); err != nil {
		return nil, fmt.Errorf("%w: %v", errNoFastPath, err)
	}
	if ex.IsClient || ex.LocalEpoch != 1 {
		return nil, errNoFastPath
	}
	// AES-128 AEAD suites: no MAC key, 16-byte key, 4-byte implicit IV,
	// SHA-256 PRF (RFC 5288, RFC 6655, RFC 7251).
	keys, err := prf.GenerateEncryptionKeys(ex.MasterSecret, ex.RemoteRandom[:], ex.LocalRandom[:], 0, 16, 4, sha256.New)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoFastPath, err)
	}
	fs := &fastSession{mux: m, mc: mc, sendCID: ex.RemoteConnectionID}
	switch CipherSuite(ex.CipherSuiteID) {
	case PSKWithAES128CCM8, ECDHEECDSAWithAES128CCM8:
		fs.cipher, err = ciphersuite.NewCCM(ciphersuite.CCMTagLength8, keys.ServerWriteKey, keys.ServerWriteIV, keys.ClientWriteKey, keys.ClientWriteIV)
	case PSKWithAES128GCMSHA256, ECDHEECDSAWithAES128GCMSHA2, ECDHERSAWithAES128GCMSHA256:
		fs.cipher, err = ciphersuite.NewGCM(keys.ServerWriteKey, keys.ServerWriteIV, keys.ClientWriteKey, keys.ClientWriteIV)
	default:
		return nil, errNoFastPath
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoFastPath, err)
	}
	fs.seq.Store(ex.SequenceNumber + seqOffset)
	// A fresh window: pion saw only handshake records (and at most the
	// first application data, which CoAP de-duplication covers if replayed).
	fs.replay = replaydetector.New(64, recordlayer.MaxSequenceNumber)
	fs.addr = *mc.addr.Load()
	fs.addrStr, fs.addrUA = fs.addr.String(), net.UDPAddrFromAddrPort(fs.addr)
	return fs, nil
}

// handle processes a datagram routed to this session. It reports false
// for datagrams that belong to pion (handshake records while it is still
// attached).
func (fs *fastSession) handle(d []byte, from netip.AddrPort, sink *batchIO) bool {
	if len(d) < recordHeaderLen {
		return true
	}
	typ := protocol.ContentType(d[0])
	epoch := binary.BigEndian.Uint16(d[3:5])
	if epoch == 0 || typ == protocol.ContentTypeHandshake || typ == protocol.ContentTypeChangeCipherSpec {
		return fs.isDetached() // attached: pion's; detached: stray, dropped
	}
	cidLen := 0
	if typ == protocol.ContentTypeConnectionID {
		cidLen = fs.mux.cidLen
	}
	recs, err := recordlayer.ContentAwareUnpackDatagram(d, cidLen)
	if err != nil {
		return true // malformed: silently discarded (RFC 6347 §4.1.2.7)
	}
	handled := true
	for _, rec := range recs {
		if fs.record(rec, cidLen, from, sink) {
			handled = false
		}
	}
	return handled
}

func (fs *fastSession) isDetached() bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.detached
}

// record opens one record and acts on it. It reports true for a
// handshake record inside a connection-ID record while pion is attached
// (a retransmitted Finished): the datagram then goes to pion as well.
func (fs *fastSession) record(rec []byte, cidLen int, from netip.AddrPort, sink *batchIO) bool {
	h := recordlayer.Header{}
	if cidLen > 0 && protocol.ContentType(rec[0]) == protocol.ContentTypeConnectionID {
		h.ConnectionID = make([]byte, cidLen)
	}
	if err := h.Unmarshal(rec); err != nil || h.Epoch != 1 {
		return false
	}
	fs.mu.Lock()
	_, fresh := fs.replay.Check(h.SequenceNumber)
	fs.mu.Unlock()
	if !fresh {
		return false
	}
	buf := append([]byte(nil), rec...) // decrypted in place; the content outlives the read buffer
	plain, err := fs.cipher.Decrypt(h, buf)
	if err != nil {
		return false // forged or damaged: dropped, like pion does
	}
	content := plain[h.Size():]
	typ := h.ContentType
	if typ == protocol.ContentTypeConnectionID {
		// Inner plaintext (RFC 9146): content, real type, zero padding.
		i := len(content) - 1
		for i >= 0 && content[i] == 0 {
			i--
		}
		if i < 0 {
			return false
		}
		typ, content = protocol.ContentType(content[i]), content[:i]
	}
	fs.mu.Lock()
	if fs.closed {
		fs.mu.Unlock()
		return false
	}
	// Check again: another reader may have accepted this sequence number
	// while the record was being opened (a replayed copy).
	accept, fresh := fs.replay.Check(h.SequenceNumber)
	if !fresh {
		fs.mu.Unlock()
		return false
	}
	// accept reports whether the record is the newest so far, not whether
	// it is acceptable: a record overtaken by a later one (two readers, or
	// reordering on the way) is still valid and must be handled. Only the
	// newest record may move the session (RFC 9146 §6).
	latest := accept()
	if typ == protocol.ContentTypeHandshake || typ == protocol.ContentTypeChangeCipherSpec {
		attached := !fs.detached
		fs.mu.Unlock()
		return attached
	}
	moved := latest && from != fs.addr
	if moved {
		// An authenticated record from a new address: the session follows
		// its device (RFC 9146 §6).
		fs.addr, fs.addrStr, fs.addrUA = from, from.String(), net.UDPAddrFromAddrPort(from)
	}
	detach := typ == protocol.ContentTypeApplicationData && !fs.detached
	if detach {
		fs.detached = true
	}
	fs.mu.Unlock()
	if moved {
		fs.mux.moved(fs.mc, from)
	}
	if detach {
		fs.mc.detachPion()
	}
	switch typ {
	case protocol.ContentTypeApplicationData:
		fs.peer.eng.receiveVia(fs.peer, content, sink)
	case protocol.ContentTypeAlert:
		var a alert.Alert
		if a.Unmarshal(content) == nil && (a.Description == alert.CloseNotify || a.Level == alert.Fatal) {
			fs.closeWith(a.Description == alert.CloseNotify)
		}
	}
	return false
}

// seal builds one record of the given type around data.
func (fs *fastSession) seal(typ protocol.ContentType, data []byte) ([]byte, error) {
	h := recordlayer.Header{Version: protocol.Version1_2, Epoch: 1, SequenceNumber: fs.seq.Add(1) - 1}
	var body []byte
	if len(fs.sendCID) > 0 {
		h.ContentType, h.ConnectionID = protocol.ContentTypeConnectionID, fs.sendCID
		body = make([]byte, 0, len(data)+1)
		body = append(append(body, data...), byte(typ))
	} else {
		h.ContentType, body = typ, data
	}
	h.ContentLen = uint16(len(body))
	raw, err := h.Marshal()
	if err != nil {
		return nil, err
	}
	raw = append(raw, body...)
	return fs.cipher.Encrypt(&recordlayer.RecordLayer{Header: h}, raw)
}

func (fs *fastSession) write(b []byte) error {
	rec, err := fs.seal(protocol.ContentTypeApplicationData, b)
	if err != nil {
		return err
	}
	fs.mu.Lock()
	to, closed := fs.addr, fs.closed
	fs.mu.Unlock()
	if closed {
		return ErrClosed
	}
	_, err = fs.mux.conn.WriteToUDPAddrPort(rec, to)
	return err
}

// frame seals an answer for a batch write.
func (fs *fastSession) frame(b []byte) (*net.UDPAddr, []byte, error) {
	rec, err := fs.seal(protocol.ContentTypeApplicationData, b)
	if err != nil {
		return nil, nil, err
	}
	fs.mu.Lock()
	to, closed := fs.addrUA, fs.closed
	fs.mu.Unlock()
	if closed {
		return nil, nil, ErrClosed
	}
	return to, rec, nil
}

func (fs *fastSession) remote() string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.addrStr
}

func (fs *fastSession) close() error {
	fs.closeWith(true)
	return nil
}

// closeWith ends the session, telling the peer with close_notify when
// notify is set.
func (fs *fastSession) closeWith(notify bool) {
	fs.mu.Lock()
	if fs.closed {
		fs.mu.Unlock()
		return
	}
	to := fs.addr
	fs.mu.Unlock()
	if notify {
		if a, err := (&alert.Alert{Level: alert.Warning, Description: alert.CloseNotify}).Marshal(); err == nil {
			if rec, err := fs.seal(protocol.ContentTypeAlert, a); err == nil {
				_, _ = fs.mux.conn.WriteToUDPAddrPort(rec, to)
			}
		}
	}
	fs.mu.Lock()
	fs.closed = true
	fs.mu.Unlock()
	fs.mc.detachPion()
	_ = fs.mc.Close()
	if fs.peer != nil {
		fs.peer.shutdown()
	}
	if fs.onClose != nil {
		fs.onClose()
	}
}

// detach closes pion's transport: its goroutines end.
func (fs *fastSession) detach() {
	fs.mu.Lock()
	already := fs.detached
	fs.detached = true
	fs.mu.Unlock()
	if !already {
		fs.mc.detachPion()
	}
}

// detachAfter detaches pion after d even if the peer never sent
// application data (which normally triggers it), so an idle session holds
// no pion goroutines.
func (fs *fastSession) detachAfter(d time.Duration) {
	time.AfterFunc(d, fs.detach)
}

var _ link = (*fastSession)(nil)
