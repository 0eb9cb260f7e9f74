package coap

import (
	"fmt"

	"github.com/plgd-dev/go-coap/v3/net/blockwise"
)

// Block is a Block1 or Block2 option value (RFC 7959 §2.2): block number,
// more flag and size exponent (block size = 2^(SZX+4), 16..1024 bytes).
type Block struct {
	Num  uint32
	More bool
	SZX  uint8
}

// Size returns the block size in bytes.
func (b Block) Size() int { return 1 << (b.SZX + 4) }

// Offset returns the byte offset of the block.
func (b Block) Offset() int { return int(b.Num) * b.Size() }

// String returns "num/more/size", the notation of RFC 7959 examples.
func (b Block) String() string {
	m := 0
	if b.More {
		m = 1
	}
	return fmt.Sprintf("%d/%d/%d", b.Num, m, b.Size())
}

// SZXForSize returns the largest size exponent whose block fits in n bytes
// (n below 16 gives 0, above 1024 gives 6).
func SZXForSize(n int) uint8 {
	szx := uint8(0)
	for szx < 6 && 1<<(szx+5) <= n {
		szx++
	}
	return szx
}

func (b Block) value() uint32 {
	v, err := blockwise.EncodeBlockOption(blockwise.SZX(b.SZX), int64(b.Num), b.More)
	if err != nil {
		// Only reachable with a block number above 2^20-1, which the
		// engine never produces (it caps bodies far below that).
		panic(fmt.Sprintf("coap: block %v: %v", b, err))
	}
	return v
}

func parseBlock(v uint32) (Block, error) {
	szx, num, more, err := blockwise.DecodeBlockOption(v)
	if err != nil {
		return Block{}, fmt.Errorf("coap: block option %#x: %w", v, err)
	}
	if szx > 6 {
		return Block{}, fmt.Errorf("coap: block option %#x: BERT (szx 7) is not supported over UDP", v)
	}
	return Block{Num: uint32(num), More: more, SZX: uint8(szx)}, nil
}
