package ca

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
)

// sealedKeyType is the PEM block type of ca.key.
const sealedKeyType = "SHOAL SEALED PRIVATE KEY"

// sealVersion is the Version header of the sealed key block.
const sealVersion = "1"

// nonceSize is AES-GCM's standard nonce; tagSize its tag.
const (
	nonceSize = 12
	tagSize   = 16
	// maxSealedKey bounds the sealed key block: a P-256 PKCS#8 key is
	// about 140 bytes, so anything much larger is not one.
	maxSealedKey = 4096
)

// sealAEAD derives the key-file cipher from the data directory's secret
// key: HMAC-SHA256(secret, label) so the CA key never shares a key with
// the database's sealed columns.
func sealAEAD(secret []byte) (cipher.AEAD, error) {
	if len(secret) != 32 {
		return nil, fmt.Errorf("%w: secret key is %d bytes, want 32", ErrRequest, len(secret))
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("shoal ca key sealing v1"))
	block, err := aes.NewCipher(mac.Sum(nil))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// keyAAD binds the sealed key to the certificate it belongs to.
func keyAAD(certDER []byte) []byte {
	sum := sha256.Sum256(certDER)
	return []byte("shoal/ca/key/" + hex.EncodeToString(sum[:]))
}

// sealKey returns the PEM text of the sealed PKCS#8 key.
func sealKey(secret, pkcs8, certDER []byte) ([]byte, error) {
	aead, err := sealAEAD(secret)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("ca: sealing the key: %w", err)
	}
	body := aead.Seal(nonce, nonce, pkcs8, keyAAD(certDER))
	return pem.EncodeToMemory(&pem.Block{Type: sealedKeyType,
		Headers: map[string]string{"Version": sealVersion, "Cipher": "AES-256-GCM"}, Bytes: body}), nil
}

// parseSealed checks the framing of a sealed key file and returns its
// nonce and ciphertext (with tag). It never decrypts.
func parseSealed(data []byte) (nonce, ct []byte, err error) {
	b, rest := pem.Decode(data)
	if b == nil {
		return nil, nil, fmt.Errorf("%w: ca.key: no PEM block (byte 0 of %d)", ErrSealedKey, len(data))
	}
	if b.Type != sealedKeyType {
		return nil, nil, fmt.Errorf("%w: ca.key: PEM block type %q, want %q", ErrSealedKey, b.Type, sealedKeyType)
	}
	if v := b.Headers["Version"]; v != sealVersion {
		return nil, nil, fmt.Errorf("%w: ca.key: header Version %q, want %q", ErrSealedKey, v, sealVersion)
	}
	if c := b.Headers["Cipher"]; c != "AES-256-GCM" {
		return nil, nil, fmt.Errorf("%w: ca.key: header Cipher %q, want AES-256-GCM", ErrSealedKey, c)
	}
	if n := len(b.Bytes); n < nonceSize+tagSize+1 || n > maxSealedKey {
		return nil, nil, fmt.Errorf("%w: ca.key: sealed body is %d bytes, want %d to %d", ErrSealedKey, n, nonceSize+tagSize+1, maxSealedKey)
	}
	if len(pemTrim(rest)) > 0 {
		return nil, nil, fmt.Errorf("%w: ca.key: %d unexpected bytes after the PEM block (offset %d)", ErrSealedKey, len(rest), len(data)-len(rest))
	}
	return b.Bytes[:nonceSize], b.Bytes[nonceSize:], nil
}

// openKey decrypts a sealed key file for the certificate certDER.
func openKey(secret, data, certDER []byte) ([]byte, error) {
	nonce, ct, err := parseSealed(data)
	if err != nil {
		return nil, err
	}
	aead, err := sealAEAD(secret)
	if err != nil {
		return nil, err
	}
	plain, err := aead.Open(nil, nonce, ct, keyAAD(certDER))
	if err != nil {
		return nil, fmt.Errorf("%w: ca.key does not open with this data directory's secret key, or belongs to another ca.crt", ErrSealedKey)
	}
	return plain, nil
}

// pemTrim drops trailing whitespace.
func pemTrim(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
