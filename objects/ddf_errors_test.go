package objects_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/shoal-iot/shoal/objects"
)

// parseErr parses a testdata/bad file and returns its error, which must be
// a *DDFError wrapping ErrInvalidDDF.
func parseErr(t *testing.T, path string) (*objects.DDFError, string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ms, err := objects.ParseDDF(f, filepath.Base(path))
	if err == nil {
		t.Fatalf("%s: parsed %d objects, want an error", path, len(ms))
	}
	if !errors.Is(err, objects.ErrInvalidDDF) {
		t.Errorf("%s: %v does not wrap ErrInvalidDDF", path, err)
	}
	var de *objects.DDFError
	if !errors.As(err, &de) {
		t.Fatalf("%s: %T is not a *DDFError", path, err)
	}
	return de, err.Error()
}

func TestParseDDFBadFiles(t *testing.T) {
	cases := []struct {
		file, want string
		line       int
	}{
		{"badtype.xml", `badtype.xml:20: Object[2] (ID 33000) Item[ID=5]: Type "Foo" is not an LwM2M data type`, 20},
		{"dupres.xml", `dupres.xml:12: Object[1] (ID 33002) Item[ID=1]: duplicate resource id 1 (first defined at line 11)`, 12},
		{"id65535.xml", `id65535.xml:6: Object[1] ObjectID: id 65535 is reserved (ids are 0..65534)`, 6},
		{"syntax.xml", `syntax.xml:11: Object[1] (ID 33003) Item[ID=0] Units: XML syntax error: element <Units> closed by </Item>`, 11},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			de, msg := parseErr(t, filepath.Join("testdata/bad", c.file))
			if msg != c.want {
				t.Errorf("error\n got %s\nwant %s", msg, c.want)
			}
			if de.File != c.file || de.Line != c.line {
				t.Errorf("File/Line = %q/%d, want %q/%d", de.File, de.Line, c.file, c.line)
			}
		})
	}
}

// obj wraps resource items in a minimal valid object.
func obj(id, items string) string {
	return `<Object><Name>T</Name><ObjectID>` + id + `</ObjectID><MultipleInstances>Single</MultipleInstances>` +
		`<Mandatory>Optional</Mandatory><Resources>` + items + `</Resources></Object>`
}

func item(id, ops, typ string) string {
	return `<Item ID="` + id + `"><Name>R</Name><Operations>` + ops + `</Operations><MultipleInstances>Single</MultipleInstances>` +
		`<Mandatory>Optional</Mandatory><Type>` + typ + `</Type></Item>`
}

func TestParseDDFMalformed(t *testing.T) {
	good := item("0", "R", "Integer")
	cases := []struct{ name, doc, want string }{
		{"empty", ``, `x.xml: no <LWM2M> element (empty document)`},
		{"wrong root", `<Objects/>`, `x.xml:1: root element is <Objects>, want <LWM2M>`},
		{"text before root", `hello<LWM2M/>`, `x.xml:1: text before the root element`},
		{"no objects", `<LWM2M></LWM2M>`, `x.xml:1: LWM2M: no <Object> element`},
		{"element after root", `<LWM2M>` + obj("1", good) + `</LWM2M><LWM2M/>`, `element <LWM2M> after the end of <LWM2M>`},
		{"text after root", `<LWM2M>` + obj("1", good) + `</LWM2M>junk`, `x.xml:1: text after the end of <LWM2M>`},
		{"truncated", `<LWM2M>` + obj("1", good)[:60], `XML syntax error: unexpected EOF`},
		{"missing id", `<LWM2M><Object><Name>T</Name></Object></LWM2M>`, `Object[1]: missing <ObjectID>`},
		{"bad id", `<LWM2M>` + obj("abc", good) + `</LWM2M>`, `Object[1] ObjectID: id "abc" is not a decimal number`},
		{"id too big", `<LWM2M>` + obj("70000", good) + `</LWM2M>`, `Object[1] ObjectID: id "70000" is out of range 0..65534`},
		{"id too long", `<LWM2M>` + obj("0000001", good) + `</LWM2M>`, `Object[1] ObjectID: id "0000001" is out of range 0..65534`},
		{"empty id", `<LWM2M>` + obj("", good) + `</LWM2M>`, `Object[1] ObjectID: id is empty`},
		{"empty name", `<LWM2M>` + strings.Replace(obj("1", good), "<Name>T</Name>", "<Name> </Name>", 1) + `</LWM2M>`, `Object[1] (ID 1) Name: is empty`},
		{"missing name", `<LWM2M>` + strings.Replace(obj("1", good), "<Name>T</Name>", "", 1) + `</LWM2M>`, `Object[1] (ID 1): missing <Name>`},
		{"duplicate name", `<LWM2M>` + strings.Replace(obj("1", good), "<Name>T</Name>", "<Name>T</Name><Name>U</Name>", 1) + `</LWM2M>`, `Object[1]: duplicate <Name> (first at line 1)`},
		{"bad multiple", `<LWM2M>` + strings.Replace(obj("1", good), ">Single<", ">Many<", 1) + `</LWM2M>`, `Object[1] (ID 1) MultipleInstances: "Many" is neither "Multiple" nor "Single"`},
		{"bad mandatory", `<LWM2M>` + strings.Replace(obj("1", good), ">Optional<", ">Yes<", 1) + `</LWM2M>`, `Object[1] (ID 1) Mandatory: "Yes" is neither "Mandatory" nor "Optional"`},
		{"bad version", `<LWM2M>` + strings.Replace(obj("1", good), "<Resources>", "<ObjectVersion>1.x</ObjectVersion><Resources>", 1) + `</LWM2M>`, `Object[1] (ID 1) ObjectVersion: version "1.x": minor part "x" is not a decimal number`},
		{"empty major", `<LWM2M>` + strings.Replace(obj("1", good), "<Resources>", "<ObjectVersion>.1</ObjectVersion><Resources>", 1) + `</LWM2M>`, `ObjectVersion: version ".1": major part is empty`},
		{"long minor", `<LWM2M>` + strings.Replace(obj("1", good), "<Resources>", "<ObjectVersion>1.00000</ObjectVersion><Resources>", 1) + `</LWM2M>`, `ObjectVersion: version "1.00000": minor part has more than 4 digits`},
		{"bad lwm2m version", `<LWM2M>` + strings.Replace(obj("1", good), "<Resources>", "<LWM2MVersion>2</LWM2MVersion><Resources>", 1) + `</LWM2M>`, `Object[1] (ID 1) LWM2MVersion: version "2" is not of the form major.minor`},
		{"no resources", `<LWM2M><Object><Name>T</Name><ObjectID>1</ObjectID><MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory></Object></LWM2M>`, `Object[1] (ID 1): missing <Resources>`},
		{"empty resources", `<LWM2M>` + obj("1", "") + `</LWM2M>`, `Object[1] (ID 1) Resources: no <Item> element`},
		{"two resources", `<LWM2M>` + strings.Replace(obj("1", good), "</Resources>", "</Resources><Resources/>", 1) + `</LWM2M>`, `Object[1] (ID 1): duplicate <Resources> (first at line 1)`},
		{"nested element", `<LWM2M>` + strings.Replace(obj("1", good), "<Name>T</Name>", "<Name>T<b>x</b></Name>", 1) + `</LWM2M>`, `Object[1] Name: unexpected element <b> (want text only)`},
		{"item without id", `<LWM2M>` + obj("1", `<Item><Name>R</Name></Item>`) + `</LWM2M>`, `Object[1] (ID 1) Item[1]: missing ID attribute`},
		{"item bad id", `<LWM2M>` + obj("1", good+item("x1", "R", "Integer")) + `</LWM2M>`, `Object[1] (ID 1) Item[2]: ID attribute: id "x1" is not a decimal number`},
		{"item id 65535", `<LWM2M>` + obj("1", item("65535", "R", "Integer")) + `</LWM2M>`, `Object[1] (ID 1) Item[1]: ID attribute: id 65535 is reserved (ids are 0..65534)`},
		{"bad operations", `<LWM2M>` + obj("1", item("0", "RE", "Integer")) + `</LWM2M>`, `Object[1] (ID 1) Item[ID=0] Operations: "RE" is not one of R, W, RW, E or empty`},
		{"missing operations", `<LWM2M>` + obj("1", strings.Replace(good, "<Operations>R</Operations>", "", 1)) + `</LWM2M>`, `Object[1] (ID 1) Item[ID=0]: missing <Operations>`},
		{"item missing mandatory", `<LWM2M>` + obj("1", strings.Replace(good, "<Mandatory>Optional</Mandatory>", "", 1)) + `</LWM2M>`, `Object[1] (ID 1) Item[ID=0]: missing <Mandatory>`},
		{"item empty name", `<LWM2M>` + obj("1", strings.Replace(good, "<Name>R</Name>", "<Name/>", 1)) + `</LWM2M>`, `Object[1] (ID 1) Item[ID=0] Name: is empty`},
		{"executable with type", `<LWM2M>` + obj("1", item("4", "E", "String")) + `</LWM2M>`, `Object[1] (ID 1) Item[ID=4]: executable resource has Type "String"; executable resources have an empty Type`},
		{"readable without type", `<LWM2M>` + obj("1", item("4", "R", "")) + `</LWM2M>`, `Object[1] (ID 1) Item[ID=4]: Type is empty but Operations is "R"; only executable resources have no type`},
		{"readable none type", `<LWM2M>` + obj("1", item("4", "RW", "none")) + `</LWM2M>`, `Object[1] (ID 1) Item[ID=4]: Type "none" means no type but Operations is "RW"; only executable resources have no type`},
		{"duplicate object", `<LWM2M>` + obj("7", good) + "\n" + obj("7", good) + `</LWM2M>`, `x.xml:2: Object[2] (ID 7): object 7 version 1.0 is already defined by Object[1] (line 1)`},
		{"utf16", "\xFF\xFE<\x00L\x00", `x.xml:1: file is UTF-16 encoded; only UTF-8 (or ISO-8859-1) is supported`},
		{"unknown encoding", `<?xml version="1.0" encoding="EBCDIC"?><LWM2M/>`, `encoding "EBCDIC" is not supported (use UTF-8)`},
		{"bad utf8", "<LWM2M>" + obj("1", strings.Replace(good, "<Name>R</Name>", "<Name>\xff</Name>", 1)) + "</LWM2M>", `XML syntax error: invalid UTF-8`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := objects.ParseDDF(strings.NewReader(c.doc), "x.xml")
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "x.xml") {
				t.Errorf("error\n got %s\nwant it to start with x.xml and contain %s", err, c.want)
			}
			if !errors.Is(err, objects.ErrInvalidDDF) {
				t.Errorf("%v does not wrap ErrInvalidDDF", err)
			}
		})
	}
}

func TestParseDDFTooLarge(t *testing.T) {
	// An endless comment: the parser must stop at MaxDDFSize, not buffer it all.
	r := io.MultiReader(strings.NewReader("<LWM2M><!--"), endless('a'))
	_, err := objects.ParseDDF(r, "big.xml")
	want := "big.xml: file is larger than 4194304 bytes"
	if err == nil || err.Error() != want || !errors.Is(err, objects.ErrInvalidDDF) {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

func TestParseDDFReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	r := io.MultiReader(strings.NewReader("<LWM2M><Object>"), iotest.ErrReader(boom))
	_, err := objects.ParseDDF(r, "io.xml")
	if !errors.Is(err, boom) || errors.Is(err, objects.ErrInvalidDDF) {
		t.Fatalf("err = %v, want the read error, not ErrInvalidDDF", err)
	}
	if !strings.Contains(err.Error(), "io.xml") {
		t.Errorf("%v does not name the file", err)
	}
}

// endless yields the byte b forever.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}
