package main

import (
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rs/zerolog"
)

// readDER reads a certificate or key file in PEM (first block) or DER.
func readDER(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if blk, _ := pem.Decode(b); blk != nil {
		return blk.Bytes, nil
	}
	if strings.HasPrefix(strings.TrimSpace(string(b)), "-----BEGIN") {
		return nil, fmt.Errorf("%s: malformed PEM", path)
	}
	return b, nil
}

// parseKeyHex parses a hex PSK ("" is no key).
func parseKeyHex(flag, s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	k, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(s), "0x"))
	if err != nil || len(k) == 0 {
		return nil, fmt.Errorf("--%s: not a hex key: %q", flag, s)
	}
	return k, nil
}

// newLogger logs to w at level ("off" disables).
func newLogger(w io.Writer, level string) (*zerolog.Logger, error) {
	if level == "off" || level == "" {
		return nil, nil
	}
	lvl, err := zerolog.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	l := zerolog.New(zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05.000"}).Level(lvl).With().Timestamp().Logger()
	return &l, nil
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
