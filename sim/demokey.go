package sim

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DemoKeyFile is the file in the data directory holding the demo devices'
// PSK, so that demo devices created by one run connect in the next.
const DemoKeyFile = "demo-psk.hex"

// DemoKey returns the demo devices' PSK from dir/DemoKeyFile, creating it
// (16 random bytes, hex, mode 0600) on first use.
func DemoKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, DemoKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, 16)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("sim: demo key: %w", err)
		}
		if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("sim: demo key: %w", err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sim: demo key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) < 16 || len(key) > 64 {
		return nil, fmt.Errorf("%w: %s does not hold a hex key of 16 to 64 bytes", ErrConfig, path)
	}
	return key, nil
}
