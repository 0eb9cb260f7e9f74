package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/shoal-iot/shoal/lwm2m"
)

// Firmware Update object (/5) states and update results (Core TS 1.1
// appendix E.6).
const (
	FWIdle        = 0
	FWDownloading = 1
	FWDownloaded  = 2
	FWUpdating    = 3

	FWResultInitial        = 0
	FWResultSuccess        = 1
	FWResultNoFlash        = 2
	FWResultOutOfRAM       = 3
	FWResultConnectionLost = 4
	FWResultIntegrity      = 5
	FWResultUnsupportedPkg = 6
	FWResultInvalidURI     = 7
	FWResultUpdateFailed   = 8
	FWResultUnsupportedURI = 9
	FWResultCancelled      = 10
)

// Firmware Update resources.
const (
	fwPackage    = 0
	fwURI        = 1
	fwUpdate     = 2
	fwState      = 3
	fwResult     = 5
	fwPkgName    = 6
	fwPkgVersion = 7
	fwProtocols  = 8
	fwDelivery   = 9
	fwCancel     = 10
	fwLastChange = 12
)

// FirmwareFailure injects a failure into the update process.
type FirmwareFailure uint8

// Failures a test can inject.
const (
	FailNone           FirmwareFailure = iota
	FailIntegrity                      // the image fails its integrity check (result 5)
	FailOutOfMemory                    // the device runs out of RAM while downloading (result 3)
	FailConnectionLost                 // the download breaks off (result 4)
	FailUpdate                         // installing the image fails (result 8)
)

// Downloader fetches a firmware image for a pull update. It must stop at
// limit bytes (returning an error) rather than buffer more.
type Downloader interface {
	Download(ctx context.Context, uri string, limit int) ([]byte, error)
}

// FirmwareOptions configure the Firmware Update object.
type FirmwareOptions struct {
	// Failure injects one failure into every update attempt.
	Failure FirmwareFailure
	// SHA256 is the expected digest of the image. A "sha256=<hex>" query
	// parameter or fragment in the Package URI overrides it. Without
	// either the image is accepted as it is.
	SHA256 []byte
	// MaxSize is the flash available for an image (default 16 MiB);
	// bigger images fail with result 2 (not enough flash).
	MaxSize int
	// NewVersion is the firmware version after a successful update. When
	// empty, an image whose first line is "version=<v>" (see
	// ImageVersion) installs version v, and any other image "fw-" and
	// its digest's first 8 hex digits.
	NewVersion string
	// Downloader fetches pulled images. The default handles http and
	// https (with HTTPClient) and coap and coaps (through the client's
	// transport, with its credentials).
	Downloader Downloader
	// HTTPClient fetches http(s) images (default http.DefaultClient).
	HTTPClient *http.Client
}

func (f FirmwareOptions) withDefaults() FirmwareOptions {
	if f.MaxSize == 0 {
		f.MaxSize = 16 << 20
	}
	return f
}

func (f FirmwareOptions) validate() error {
	if f.SHA256 != nil && len(f.SHA256) != sha256.Size {
		return fmt.Errorf("%w: firmware sha256 has %d bytes, want %d", ErrConfig, len(f.SHA256), sha256.Size)
	}
	if f.MaxSize < 0 {
		return fmt.Errorf("%w: firmware max size is negative", ErrConfig)
	}
	return nil
}

// firmware is the /5 state machine. Its methods run with the client's lock
// held; downloads run outside it and report back through downloaded.
type firmware struct {
	opts   FirmwareOptions
	tree   *Tree
	now    func() lwm2m.Value
	digest []byte // expected digest of the current attempt
	image  []byte
	gen    int // download generation: late results of a cancelled one are dropped
	cancel context.CancelFunc
	// start begins fetching uri in the background (generation gen).
	start func(ctx context.Context, gen int, uri string)
	// install asks the client to reboot into the new image.
	install func()
}

func (f *firmware) state() int64 {
	v, _ := f.tree.Value(lwm2m.ResourcePath(5, 0, fwState))
	return v.Int()
}

func (f *firmware) set(state, result int64) {
	p := lwm2m.InstancePath(5, 0)
	if old := f.state(); old != state {
		_ = f.tree.Set(p.Child(fwLastChange), f.now())
	}
	_ = f.tree.Set(p.Child(fwState), lwm2m.IntValue(state))
	_ = f.tree.Set(p.Child(fwResult), lwm2m.IntValue(result))
}

func (f *firmware) abort() {
	f.gen++
	if f.cancel != nil {
		f.cancel()
		f.cancel = nil
	}
	f.image = nil
}

// checkWrite refuses a new package or URI while an update is under way;
// an empty one (the reset) is always accepted except while updating.
func (f *firmware) checkWrite(res uint16, v lwm2m.Value) error {
	if res != fwPackage && res != fwURI {
		return nil
	}
	st := f.state()
	empty := isEmptyPackage(v)
	if st == FWUpdating {
		return lwm2m.Errorf(lwm2m.CodeBadRequest, "/5/0/%d: an update is being installed", res)
	}
	if !empty && st != FWIdle {
		return lwm2m.Errorf(lwm2m.CodeBadRequest, "/5/0/%d: firmware state is %d, not idle; write an empty value to reset", res, st)
	}
	return nil
}

func isEmptyPackage(v lwm2m.Value) bool {
	switch v.Type() {
	case lwm2m.TypeOpaque:
		b := v.Bytes()
		return len(b) == 0 || len(b) == 1 && b[0] == 0
	case lwm2m.TypeString:
		return v.Str() == ""
	}
	return false
}

// written reacts to a Write of /5/0/0 (push) or /5/0/1 (pull).
func (f *firmware) written(res []uint16) {
	for _, r := range res {
		v, _ := f.tree.Value(lwm2m.ResourcePath(5, 0, r))
		switch r {
		case fwPackage:
			// The package is write-only; do not keep a copy in the tree.
			_ = f.tree.Set(lwm2m.ResourcePath(5, 0, fwPackage), lwm2m.OpaqueValue(nil))
			if isEmptyPackage(v) {
				f.abort()
				f.set(FWIdle, FWResultInitial)
				continue
			}
			f.abort()
			f.digest = f.opts.SHA256
			f.set(FWDownloading, FWResultInitial)
			f.downloaded(f.gen, v.Bytes(), nil)
		case fwURI:
			f.pull(v.Str())
		}
	}
}

func (f *firmware) pull(uri string) {
	f.abort()
	if uri == "" {
		f.set(FWIdle, FWResultInitial)
		return
	}
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" {
		f.set(FWIdle, FWResultInvalidURI)
		return
	}
	switch u.Scheme {
	case "coap", "coaps", "http", "https":
	default:
		f.set(FWIdle, FWResultUnsupportedURI)
		return
	}
	f.digest = f.opts.SHA256
	if d, ok := digestFromURI(u); ok {
		f.digest = d
	}
	f.set(FWDownloading, FWResultInitial)
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	f.start(ctx, f.gen, uri)
}

// digestFromURI reads "sha256=<hex>" from the query or the fragment.
func digestFromURI(u *url.URL) ([]byte, bool) {
	for _, part := range []string{u.RawQuery, u.Fragment} {
		q, err := url.ParseQuery(part)
		if err != nil {
			continue
		}
		if h := q.Get("sha256"); h != "" {
			if b, err := hex.DecodeString(h); err == nil && len(b) == sha256.Size {
				return b, true
			}
		}
	}
	return nil, false
}

// downloaded finishes generation gen's download with data or err.
func (f *firmware) downloaded(gen int, data []byte, err error) {
	if gen != f.gen || f.state() != FWDownloading {
		return
	}
	f.cancel = nil
	switch {
	case f.opts.Failure == FailConnectionLost:
		f.set(FWIdle, FWResultConnectionLost)
	case f.opts.Failure == FailOutOfMemory:
		f.set(FWIdle, FWResultOutOfRAM)
	case err != nil && strings.Contains(err.Error(), "too large"):
		f.set(FWIdle, FWResultNoFlash)
	case err != nil:
		f.set(FWIdle, FWResultConnectionLost)
	case len(data) > f.opts.MaxSize:
		f.set(FWIdle, FWResultNoFlash)
	case f.opts.Failure == FailIntegrity:
		f.set(FWIdle, FWResultIntegrity)
	case f.digest != nil && !bytes.Equal(sha256Sum(data), f.digest):
		f.set(FWIdle, FWResultIntegrity)
	default:
		f.image = data
		// The package's version, as a device reads it from the package.
		_ = f.tree.Set(lwm2m.ResourcePath(5, 0, fwPkgVersion), lwm2m.StringValue(ImageVersion(data)))
		f.set(FWDownloaded, FWResultInitial)
	}
}

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

// execute handles /5/0/2 Update and /5/0/10 Cancel.
func (f *firmware) execute(res uint16) error {
	switch res {
	case fwUpdate:
		if st := f.state(); st != FWDownloaded {
			return lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "/5/0/2: no image downloaded (state %d)", st)
		}
		f.set(FWUpdating, FWResultInitial)
		f.install()
		return nil
	case fwCancel:
		st := f.state()
		if st != FWDownloading && st != FWDownloaded {
			return lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "/5/0/10: nothing to cancel (state %d)", st)
		}
		f.abort()
		f.set(FWIdle, FWResultCancelled)
		return nil
	}
	return lwm2m.Errorf(lwm2m.CodeMethodNotAllowed, "/5/0/%d has no behaviour on this device", res)
}

// finishInstall runs at the simulated reboot: the new version, or result 8.
// It returns the firmware version the device now runs, "" if unchanged.
func (f *firmware) finishInstall() string {
	if f.state() != FWUpdating {
		return ""
	}
	img := f.image
	f.image = nil
	if f.opts.Failure == FailUpdate {
		f.set(FWIdle, FWResultUpdateFailed)
		return ""
	}
	f.set(FWIdle, FWResultSuccess)
	if f.opts.NewVersion != "" {
		return f.opts.NewVersion
	}
	if v := ImageVersion(img); v != "" {
		return v
	}
	return "fw-" + hex.EncodeToString(sha256Sum(img))[:8]
}

// Simulated images name their version in a first line "version=<v>\n":
// at most maxImageVersion printable ASCII characters, no spaces.
const (
	imageVersionPrefix = "version="
	maxImageVersion    = 64
)

// ImageVersion returns the version a simulated firmware image names in
// its first line, "version=<v>" and a newline (v: 1 to 64 printable ASCII
// characters without spaces), or "" when the image has no such line.
// A simulated device reports v in /5/0/7 once the image is downloaded and
// in /3/0/3 once it is installed, so a test or demo image built as
//
//	{ echo version=1.1.0; head -c 64K /dev/urandom; } > fw.bin
//
// updates devices to "1.1.0".
func ImageVersion(img []byte) string {
	if !bytes.HasPrefix(img, []byte(imageVersionPrefix)) {
		return ""
	}
	rest := img[len(imageVersionPrefix):]
	end := bytes.IndexByte(rest[:min(len(rest), maxImageVersion+1)], '\n')
	if end < 1 {
		return ""
	}
	v := rest[:end]
	for _, b := range v {
		if b <= ' ' || b > '~' {
			return ""
		}
	}
	return string(v)
}
