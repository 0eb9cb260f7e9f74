package storage

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrSecretKey is wrapped when stored secret material cannot be decrypted:
// the store was opened with a different key than the one that encrypted it
// (or the ciphertext was altered).
var ErrSecretKey = errors.New("secret key does not decrypt the stored secret (wrong key?)")

// sealVersion is the first byte of every sealed secret: AES-256-GCM with a
// 12-byte random nonce, then ciphertext and tag.
const sealVersion = 1

// secretBox seals secrets at rest. The additional data binds each
// ciphertext to its purpose and owner, so a sealed value copied to another
// row does not open there.
type secretBox struct {
	aead  cipher.AEAD
	check string
}

func newSecretBox(key []byte) (*secretBox, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("storage: secret key is %d bytes, AES-256 needs 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("shoal secret key check v1"))
	return &secretBox{aead: aead, check: hex.EncodeToString(mac.Sum(nil)[:8])}, nil
}

func (b *secretBox) seal(plain []byte, aad string) ([]byte, error) {
	out := make([]byte, 1+b.aead.NonceSize(), 1+b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("storage: sealing a secret: %w", err)
	}
	return b.aead.Seal(out, out[1:], plain, []byte(aad)), nil
}

func (b *secretBox) open(sealed []byte, aad string) ([]byte, error) {
	ns := b.aead.NonceSize()
	if len(sealed) < 1+ns+b.aead.Overhead() || sealed[0] != sealVersion {
		return nil, fmt.Errorf("%w: sealed value is %d bytes with version byte %d", ErrSecretKey, len(sealed), firstByte(sealed))
	}
	plain, err := b.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], []byte(aad))
	if err != nil {
		return nil, ErrSecretKey
	}
	return plain, nil
}

func firstByte(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	return int(b[0])
}

// LoadOrCreateKey reads the 32-byte key kept as 64 hex digits in path, or
// creates the file (mode 0600, directory 0700) with a fresh random key when
// it does not exist.
func LoadOrCreateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return createKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: reading the key file: %w", err)
	}
	key, err := hex.DecodeString(string(bytes.TrimSpace(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("storage: key file %s must hold 64 hex digits (a 256-bit key)", path)
	}
	return key, nil
}

func createKey(path string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("storage: creating the key file's directory: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return LoadOrCreateKey(path) // created concurrently: use that one
	}
	if err != nil {
		return nil, fmt.Errorf("storage: creating the key file: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("storage: writing the key file %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("storage: writing the key file %s: %w", path, err)
	}
	return key, f.Close()
}

// checkKey records a check value of the secret key the first time and
// warns when a later key differs: secrets sealed under the old key will not
// open (reading them fails with ErrSecretKey).
func (s *Store) checkKey(ctx context.Context) error {
	var stored string
	err := s.w.GetContext(ctx, &stored, s.q("SELECT value FROM shoal_meta WHERE key = ?"), "secret_key_check")
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = s.w.ExecContext(ctx, s.q("INSERT INTO shoal_meta (key, value) VALUES (?, ?)"), "secret_key_check", s.box.check)
		return s.wrap(err, "recording the secret key check")
	case err != nil:
		return s.wrap(err, "reading the secret key check")
	case stored != s.box.check:
		s.log.Warn().Msg("storage: the secret key differs from the one credentials were first stored with; reading their secrets will fail")
	}
	return nil
}
