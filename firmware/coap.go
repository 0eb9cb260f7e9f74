package firmware

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// Packages finds the package a one-time token stands for (dm.Service).
type Packages interface {
	OpenPackage(ctx context.Context, token, identity string) (dm.Package, error)
}

// Files serves firmware packages over CoAP and CoAPS: GET <prefix>/<token>
// answers the image block by block (Block2), at the block size the device
// asks for up to BlockSize, with an ETag (the image's SHA-256, first 8
// bytes) and the size (Size2) on the first block. A token that is unknown
// or whose download is over gets 4.04, a CoAPS request from another
// device's identity 4.03. Set it as lwm2m/server's Config.Files.
type Files struct {
	pkgs      Packages
	log       zerolog.Logger
	blockSize int
}

// NewFiles returns the file service; blockSize is the largest block it
// sends (16..1024, 0 for 1024).
func NewFiles(p Packages, blockSize int, log zerolog.Logger) (*Files, error) {
	if blockSize == 0 {
		blockSize = 1024
	}
	if blockSize < 16 || blockSize > 1024 {
		return nil, fmt.Errorf("firmware: block size %d is outside 16..1024", blockSize)
	}
	return &Files{pkgs: p, log: log, blockSize: blockSize}, nil
}

// Identity names a peer's DTLS identity the way dm.OpenPackage compares
// it: "psk:<identity>", "x509:<fingerprint>", "" over plain UDP.
func Identity(id coap.Identity) string {
	switch id.Kind {
	case coap.IdentityPSK:
		return "psk:" + id.PSKIdentity
	case coap.IdentityX509:
		return "x509:" + id.Fingerprint
	}
	return ""
}

// ServeCoAP implements coap.Handler.
func (f *Files) ServeCoAP(ctx context.Context, p *coap.Peer, req *coap.Message) *coap.Message {
	if req.Code != coap.GET {
		return text(lwm2m.CodeMethodNotAllowed, "only GET fetches a package")
	}
	tok, ok := req.PathSegment(1)
	if req.PathLen() != 2 || !ok {
		return text(lwm2m.CodeNotFound, "a package URI is /<prefix>/<token>")
	}
	var id coap.Identity
	if p != nil {
		id = p.Identity()
	}
	pkg, err := f.pkgs.OpenPackage(ctx, string(tok), Identity(id))
	switch {
	case errors.Is(err, dm.ErrForbidden):
		return text(lwm2m.CodeForbidden, "this package token was issued to another device")
	case errors.Is(err, dm.ErrNotFound), errors.Is(err, dm.ErrNotImplemented):
		return text(lwm2m.CodeNotFound, "unknown or expired package token")
	case err != nil:
		f.log.Error().Err(err).Msg("firmware: opening a package")
		return text(lwm2m.CodeInternalServerError, "the package cannot be read")
	}
	return f.block(req, pkg)
}

// block answers the block the request asks for.
func (f *Files) block(req *coap.Message, pkg dm.Package) *coap.Message {
	total := pkg.Image.Size
	szx := coap.SZXForSize(f.blockSize)
	b2, asked := req.Block2()
	if asked && b2.SZX < szx {
		szx = b2.SZX
	}
	size := int64(1) << (szx + 4)
	var num int64
	if asked {
		num = int64(b2.Num)
	}
	off := num * size
	if off >= total && !(off == 0 && total == 0) {
		return text(lwm2m.CodeBadOption, fmt.Sprintf("block %d (offset %d) is beyond the package's %d bytes", num, off, total))
	}
	buf := make([]byte, min(size, total-off))
	n, err := pkg.Blob.ReadAt(buf, off)
	if n < len(buf) {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		f.log.Error().Err(err).Int64("image", pkg.Image.ID).Int64("offset", off).Msg("firmware: reading a package block")
		return text(lwm2m.CodeInternalServerError, "the package cannot be read")
	}
	r := coap.NewResponse(lwm2m.CodeContent, buf)
	r.SetContentFormat(lwm2m.FormatOpaque)
	if etag, err := hex.DecodeString(pkg.Image.SHA256[:16]); err == nil {
		r.Options = r.Options.Set(coap.OptETag, etag)
	}
	more := off+int64(n) < total
	if asked || more {
		r.SetBlock2(coap.Block{Num: uint32(num), More: more, SZX: szx})
	}
	if num == 0 {
		r.Options = r.Options.SetUint(coap.OptSize2, uint32(min(total, 1<<32-1)))
	}
	pkg.Served(off + int64(n))
	return r
}

func text(code lwm2m.Code, msg string) *coap.Message {
	m := coap.NewResponse(code, []byte(msg))
	m.SetContentFormat(lwm2m.FormatText)
	return m
}
