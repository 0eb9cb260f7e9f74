package coap_test

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/coap"
)

// fileServer answers GET block by block from body, as a file service does:
// each request runs the handler, which slices the block itself.
type fileServer struct {
	body  []byte
	calls atomic.Int32
}

func (f *fileServer) ServeCoAP(_ context.Context, _ *coap.Peer, req *coap.Message) *coap.Message {
	f.calls.Add(1)
	b, ok := req.Block2()
	if !ok {
		b = coap.Block{SZX: coap.SZXForSize(1024)}
	}
	off := b.Offset()
	if off >= len(f.body) {
		return coap.NewResponse(lwm2m.CodeBadOption, nil)
	}
	end := min(off+b.Size(), len(f.body))
	r := coap.NewResponse(lwm2m.CodeContent, f.body[off:end])
	r.SetContentFormat(lwm2m.FormatOpaque)
	r.SetBlock2(coap.Block{Num: b.Num, More: end < len(f.body), SZX: b.SZX})
	r.Options = r.Options.Set(coap.OptETag, []byte{1, 2, 3, 4})
	return r
}

// A handler that sets Block2 on its answer serves every block itself: the
// engine passes its blocks on untouched and the client reassembles them.
func TestHandlerSlicedBlock2(t *testing.T) {
	for _, size := range []int{1024, 64} {
		fs := &fileServer{body: pattern(5000)}
		ep := serveUDP(t, coap.Config{Handler: fs})
		c := dial(t, ep.Addr().String(), coap.DialConfig{})
		req := coap.NewRequest(coap.GET, "fw", "token")
		// The client asks for its block size in the first request (early
		// negotiation, RFC 7959 §2.4).
		req.SetBlock2(coap.Block{SZX: coap.SZXForSize(size)})
		resp, err := c.Do(testCtx(t), req)
		if err != nil {
			t.Fatalf("block size %d: %v", size, err)
		}
		if !bytes.Equal(resp.Payload, fs.body) {
			t.Fatalf("block size %d: got %d bytes, want %d", size, len(resp.Payload), len(fs.body))
		}
		want := (len(fs.body) + size - 1) / size
		if n := int(fs.calls.Load()); n != want {
			t.Errorf("block size %d: handler ran %d times, want %d (once per block)", size, n, want)
		}
	}
}
