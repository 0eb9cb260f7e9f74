package firmware_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/firmware"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
	"github.com/shoal-iot/shoal/models"
)

// memBlob is an image in memory.
type memBlob struct{ *bytes.Reader }

func (memBlob) Close() error { return nil }

// packages hands out one package for token "good", refuses "other" as
// another device's, and knows no other token.
type packages struct {
	data   []byte
	served int64
}

func (p *packages) OpenPackage(_ context.Context, token, identity string) (dm.Package, error) {
	switch token {
	case "good":
		sum := sha256.Sum256(p.data)
		img := models.FirmwareImage{ID: 1, Version: "2", Size: int64(len(p.data)), SHA256: hex.EncodeToString(sum[:])}
		return dm.Package{Image: img, Blob: memBlob{bytes.NewReader(p.data)}}, nil
	case "other":
		return dm.Package{}, fmt.Errorf("issued to psk:a: %w", dm.ErrForbidden)
	}
	return dm.Package{}, fmt.Errorf("package token: %w", dm.ErrNotFound)
}

func get(path ...string) *coap.Message { return coap.NewRequest(coap.GET, path...) }

// TestFilesBlocks: the file service answers each block the device asks
// for, at the device's block size up to its own, with More, the image's
// ETag, and Size2 on the first block; blocks reassemble into the image.
func TestFilesBlocks(t *testing.T) {
	data := make([]byte, 3000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	pk := &packages{data: data}
	f, err := firmware.NewFiles(pk, 512, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	for _, size := range []int{512, 1024, 64} {
		var got []byte
		for num := uint32(0); ; num++ {
			req := get("fw", "good")
			if num > 0 || size != 512 {
				req.SetBlock2(coap.Block{Num: num, SZX: coap.SZXForSize(size)})
			}
			r := f.ServeCoAP(context.Background(), nil, req)
			if r.Code != lwm2m.CodeContent || r.ContentFormat() != lwm2m.FormatOpaque {
				t.Fatalf("size %d block %d: %v %q", size, num, r, r.Payload)
			}
			b2, ok := r.Block2()
			want := min(size, 512)
			if !ok || b2.Num != num || b2.Size() != want {
				t.Fatalf("size %d block %d: Block2 %v, want num %d size %d", size, num, b2, num, want)
			}
			if etag, _ := r.Options.Get(coap.OptETag); !bytes.Equal(etag, sum[:8]) {
				t.Fatalf("ETag %x, want %x", etag, sum[:8])
			}
			s2, has := r.Options.Uint(coap.OptSize2)
			if num == 0 && (!has || s2 != 3000) || num > 0 && has {
				t.Fatalf("block %d: Size2 %d %v", num, s2, has)
			}
			got = append(got, r.Payload...)
			if !b2.More {
				break
			}
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("size %d: reassembled %d bytes, want the image's %d", size, len(got), len(data))
		}
	}
}

// TestFilesRefusals: wrong method, path, token, identity and a block past
// the end each get their own code and a diagnostic; a small image goes in
// one answer without Block2.
func TestFilesRefusals(t *testing.T) {
	f, _ := firmware.NewFiles(&packages{data: []byte("tiny")}, 0, zerolog.Nop())
	cases := []struct {
		name string
		req  *coap.Message
		want lwm2m.Code
	}{
		{"PUT", coap.NewRequest(coap.PUT, "fw", "good"), lwm2m.CodeMethodNotAllowed},
		{"no token", get("fw"), lwm2m.CodeNotFound},
		{"too deep", get("fw", "good", "x"), lwm2m.CodeNotFound},
		{"unknown token", get("fw", "nope"), lwm2m.CodeNotFound},
		{"another device's token", get("fw", "other"), lwm2m.CodeForbidden},
	}
	past := get("fw", "good")
	past.SetBlock2(coap.Block{Num: 5, SZX: 6})
	cases = append(cases, struct {
		name string
		req  *coap.Message
		want lwm2m.Code
	}{"block past the end", past, lwm2m.CodeBadOption})
	for _, c := range cases {
		r := f.ServeCoAP(context.Background(), nil, c.req)
		if r.Code != c.want || len(r.Payload) == 0 {
			t.Errorf("%s: %v %q, want %v with a reason", c.name, r, r.Payload, c.want)
		}
	}
	r := f.ServeCoAP(context.Background(), nil, get("fw", "good"))
	if _, has := r.Block2(); r.Code != lwm2m.CodeContent || string(r.Payload) != "tiny" || has {
		t.Fatalf("tiny image: %v %q", r, r.Payload)
	}
	if _, err := firmware.NewFiles(&packages{}, 2048, zerolog.Nop()); err == nil {
		t.Fatal("block size 2048 accepted")
	}
}

// TestFilesGolden: the first block's answer, on the wire, is the golden
// file (the byte layout a device parses: 2.05, ETag, Content-Format 42,
// Block2 0/1/64, Size2, payload).
func TestFilesGolden(t *testing.T) {
	data := bytes.Repeat([]byte{0xA5}, 100)
	f, _ := firmware.NewFiles(&packages{data: data}, 64, zerolog.Nop())
	req := get("fw", "good")
	req.SetBlock2(coap.Block{SZX: coap.SZXForSize(64)})
	r := f.ServeCoAP(context.Background(), nil, req)
	r.Type, r.MessageID, r.Token = coap.Acknowledgement, 0x1234, token(t, 1, 2)
	b, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "block0.golden.bin")
	if os.Getenv("SHOAL_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("block 0 on the wire:\n got %x\nwant %x", b, want)
	}
}

// FuzzServeCoAP: whatever request arrives (decoded from the wire), the
// file service answers with a code and never panics or reads outside the
// image.
func FuzzServeCoAP(f *testing.F) {
	for _, name := range []string{"get_block3.bin", "get_plain.bin"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	fs, _ := firmware.NewFiles(&packages{data: bytes.Repeat([]byte{1, 2, 3}, 700)}, 0, zerolog.Nop())
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := coap.Decode(b)
		if err != nil {
			return
		}
		r := fs.ServeCoAP(context.Background(), nil, m)
		if r == nil || r.Code.Class() != 2 && r.Code.Class() != 4 && r.Code.Class() != 5 {
			t.Fatalf("answer %v", r)
		}
		if len(r.Payload) > 1024 && r.Code == lwm2m.CodeContent {
			t.Fatalf("a block of %d bytes", len(r.Payload))
		}
	})
}

// TestFuzzSeeds: the fuzz seeds are the wire form of a GET of block 3 (64
// bytes) and of a plain GET with a digest query.
func TestFuzzSeeds(t *testing.T) {
	b3 := get("fw", "good")
	b3.SetBlock2(coap.Block{Num: 3, SZX: coap.SZXForSize(64)})
	plain := get("fw", "good")
	plain.AddQuery("sha256=00")
	for name, m := range map[string]*coap.Message{"get_block3.bin": b3, "get_plain.bin": plain} {
		m.Type, m.MessageID, m.Token = coap.Confirmable, 7, token(t, 9)
		b, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join("testdata", name)
		if os.Getenv("SHOAL_UPDATE_GOLDEN") != "" {
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(b, want) {
			t.Fatalf("%s: %x, want %x (%v)", name, b, want, err)
		}
	}
}

func token(t *testing.T, b ...byte) coap.Token {
	tok, err := coap.TokenFromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
