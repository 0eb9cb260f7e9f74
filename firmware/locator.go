package firmware

import (
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/shoal-iot/shoal/dm"
)

// Locator is a dm.PackageLocator over prefixes set at start, as the
// listeners come up (an API port chosen by the OS is known only once it
// listens).
type Locator struct {
	mu       sync.RWMutex
	prefixes map[string]string
}

var _ dm.PackageLocator = (*Locator)(nil)

// NewLocator returns a Locator serving nothing yet.
func NewLocator() *Locator { return &Locator{prefixes: map[string]string{}} }

// Set makes scheme's packages fetchable under prefix ("" removes it).
func (l *Locator) Set(scheme, prefix string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if prefix == "" {
		delete(l.prefixes, scheme)
		return
	}
	l.prefixes[scheme] = prefix
}

// PackagePrefix implements dm.PackageLocator.
func (l *Locator) PackagePrefix(scheme string) (string, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	p, ok := l.prefixes[scheme]
	return p, ok
}

// Prefix builds a prefix: scheme://host:port/path/ where host is the
// public host when given, else the bound address's (an unspecified bound
// address, 0.0.0.0 or ::, needs a public host: "" is returned).
func Prefix(scheme, publicHost string, bound net.Addr, path string) string {
	if bound == nil {
		return ""
	}
	host, port, err := net.SplitHostPort(bound.String())
	if err != nil {
		return ""
	}
	if publicHost != "" {
		host = publicHost
	} else if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		return ""
	}
	return fmt.Sprintf("%s://%s/%s/", scheme, net.JoinHostPort(host, port), strings.Trim(path, "/"))
}
