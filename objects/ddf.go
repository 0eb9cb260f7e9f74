package objects

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/shoal-iot/shoal/lwm2m"
	"golang.org/x/text/encoding/charmap"
)

// MaxDDFSize is the most bytes ParseDDF reads from one file. The largest
// standard DDF is about 23 KB; anything near this bound is not a DDF.
const MaxDDFSize = 4 << 20

var errTooLarge = errors.New("file too large")

// ParseDDF reads one DDF ("LWM2M" XML, as published in the OMA LwM2M
// registry) and returns the objects it defines, in document order, each with
// its resources sorted by id. name identifies the input in errors (usually
// the file name).
//
// A UTF-8 byte-order mark is skipped; besides UTF-8 the XML declaration may
// name US-ASCII, ISO-8859-1 or windows-1252. An absent or empty ObjectVersion
// or LWM2MVersion means "1.0". Elements other than the facts kept
// (descriptions, vendor extensions) are skipped.
//
// Malformed input gives a *DDFError (wrapping ErrInvalidDDF) naming the file,
// line and element; failures of r itself are returned wrapped, without
// ErrInvalidDDF. The whole file is rejected on the first problem.
func ParseDDF(r io.Reader, name string) ([]lwm2m.ObjectModel, error) {
	src := &boundedReader{r: r, left: MaxDDFSize}
	br := bufio.NewReader(src)
	if err := skipBOM(br, name); err != nil {
		if src.err != nil && !errors.Is(src.err, io.EOF) {
			return nil, src.failure(name)
		}
		return nil, err
	}
	d := xml.NewDecoder(br)
	d.CharsetReader = charsetReader
	p := &ddfParser{d: d, src: src, file: name}
	return p.document()
}

// boundedReader stops after MaxDDFSize bytes and remembers why reading ended.
type boundedReader struct {
	r    io.Reader
	left int
	err  error
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.left <= 0 {
		// One byte of look-ahead tells "exactly MaxDDFSize" from "more".
		var one [1]byte
		n, err := b.r.Read(one[:])
		switch {
		case n > 0:
			b.err = errTooLarge
		case err != nil:
			b.err = err
		default:
			return 0, nil
		}
		return 0, b.err
	}
	if len(p) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= n
	if err != nil {
		b.err = err
	}
	return n, err
}

// failure turns a reader failure into the error ParseDDF returns.
func (b *boundedReader) failure(name string) error {
	if errors.Is(b.err, errTooLarge) {
		return &DDFError{File: name, Msg: fmt.Sprintf("file is larger than %d bytes", MaxDDFSize)}
	}
	return fmt.Errorf("objects: %s: read: %w", name, b.err)
}

// skipBOM drops a UTF-8 byte-order mark and rejects UTF-16/32 input, which
// encoding/xml cannot read.
func skipBOM(br *bufio.Reader, name string) error {
	head, err := br.Peek(3)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, err = br.Discard(3)
		return err
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}), bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return &DDFError{File: name, Line: 1, Msg: "file is UTF-16 encoded; only UTF-8 (or ISO-8859-1) is supported"}
	}
	return nil
}

// charsetReader serves the encodings besides UTF-8 that DDF editors write.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "us-ascii", "ascii":
		return input, nil // a subset of UTF-8; encoding/xml checks the bytes
	case "iso-8859-1", "iso_8859-1", "latin1", "l1":
		return charmap.ISO8859_1.NewDecoder().Reader(input), nil
	case "windows-1252", "cp1252":
		return charmap.Windows1252.NewDecoder().Reader(input), nil
	}
	return nil, fmt.Errorf("encoding %q is not supported (use UTF-8)", label)
}

// ddfParser walks the token stream of one document.
type ddfParser struct {
	d    *xml.Decoder
	src  *boundedReader
	file string
}

// line is the line the decoder has reached (the end of the last token).
func (p *ddfParser) line() int {
	l, _ := p.d.InputPos()
	return l
}

func (p *ddfParser) fail(line int, elem, format string, args ...any) error {
	return &DDFError{File: p.file, Line: line, Element: elem, Msg: fmt.Sprintf(format, args...)}
}

// token returns the next token; inside is the element being read, for
// errors. Reaching the end of input is an error here: callers that accept
// it check for io.EOF through rawToken.
func (p *ddfParser) token(inside string) (xml.Token, error) {
	t, err := p.rawToken(inside)
	if errors.Is(err, io.EOF) {
		return nil, p.fail(p.line(), inside, "unexpected end of file")
	}
	return t, err
}

// rawToken is token, except that a clean end of input is returned as io.EOF.
func (p *ddfParser) rawToken(inside string) (xml.Token, error) {
	t, err := p.d.Token()
	if err == nil {
		return t, nil
	}
	if p.src.err != nil && !errors.Is(p.src.err, io.EOF) {
		return nil, p.src.failure(p.file)
	}
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return nil, &DDFError{File: p.file, Line: se.Line, Element: inside, Msg: "XML syntax error: " + se.Msg, Err: se}
	}
	return nil, &DDFError{File: p.file, Line: p.line(), Element: inside, Msg: err.Error(), Err: err}
}

// skip consumes the rest of an element whose start tag was just read.
func (p *ddfParser) skip(inside string) error {
	for depth := 1; depth > 0; {
		t, err := p.token(inside)
		if err != nil {
			return err
		}
		switch t.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

// text reads the character data of a leaf element whose start tag was just
// read, trimmed of surrounding white space.
func (p *ddfParser) text(elem string) (string, error) {
	var b []byte
	for {
		t, err := p.token(elem)
		if err != nil {
			return "", err
		}
		switch t := t.(type) {
		case xml.CharData:
			b = append(b, t...)
		case xml.StartElement:
			return "", p.fail(p.line(), elem, "unexpected element <%s> (want text only)", t.Name.Local)
		case xml.EndElement:
			return strings.TrimSpace(string(b)), nil
		}
	}
}

// document reads the prolog, the LWM2M root and whatever follows it.
func (p *ddfParser) document() ([]lwm2m.ObjectModel, error) {
	for {
		t, err := p.rawToken("")
		if errors.Is(err, io.EOF) {
			return nil, p.fail(0, "", "no <LWM2M> element (empty document)")
		}
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, p.fail(p.line(), "", "text before the root element")
			}
		case xml.StartElement:
			if t.Name.Local != "LWM2M" {
				return nil, p.fail(p.line(), "", "root element is <%s>, want <LWM2M>", t.Name.Local)
			}
			models, err := p.root()
			if err != nil {
				return nil, err
			}
			return models, p.epilog()
		}
	}
}

// epilog accepts only comments, processing instructions and white space
// after the root element.
func (p *ddfParser) epilog() error {
	for {
		t, err := p.rawToken("")
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			return p.fail(p.line(), "", "element <%s> after the end of <LWM2M>", t.Name.Local)
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return p.fail(p.line(), "", "text after the end of <LWM2M>")
			}
		}
	}
}

// root reads the children of <LWM2M>: one or more <Object>.
func (p *ddfParser) root() ([]lwm2m.ObjectModel, error) {
	var models []lwm2m.ObjectModel
	type key struct {
		id uint16
		v  version
	}
	type seen struct {
		index int
		line  int
	}
	first := make(map[key]seen)
	for {
		t, err := p.token("LWM2M")
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			if t.Name.Local != "Object" {
				if err := p.skip("LWM2M"); err != nil {
					return nil, err
				}
				continue
			}
			index := len(models) + 1
			line := p.line()
			m, err := p.object(index)
			if err != nil {
				return nil, err
			}
			v, _ := scanVersion(m.Version) // validated by object
			k := key{m.ID, v}
			if s, dup := first[k]; dup {
				return nil, p.fail(line, objectLabel(index, m.ID, true),
					"object %d version %s is already defined by Object[%d] (line %d)", m.ID, m.Version, s.index, s.line)
			}
			first[k] = seen{index, line}
			models = append(models, m)
		case xml.EndElement:
			if len(models) == 0 {
				return nil, p.fail(p.line(), "LWM2M", "no <Object> element")
			}
			return models, nil
		}
	}
}
