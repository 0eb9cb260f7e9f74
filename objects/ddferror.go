package objects

import (
	"errors"
	"strconv"
	"strings"
)

// ErrInvalidDDF is wrapped by every error ParseDDF and Registry.LoadDir
// return for malformed DDF content (as opposed to I/O failures).
var ErrInvalidDDF = errors.New("invalid DDF")

// DDFError describes one problem in a DDF file. Its message reads
// "file:line: element: what", e.g.
//
//	vendor.xml:40: Object[2] (ID 33000) Item[ID=5]: Type "Foo" is not an LwM2M data type
//
// Element uses 1-based positions: Object[n] is the n-th <Object> of the file;
// an <Item> is named by its ID attribute (Item[ID=5]) or, when that attribute
// itself is the problem, by its position inside <Resources> (Item[3]).
type DDFError struct {
	File    string // the name given to ParseDDF (a path for LoadDir)
	Line    int    // 1-based line of the offending element, 0 when unknown
	Element string // where in the document; "" for the file as a whole
	Msg     string // what is wrong
	Err     error  // underlying cause (e.g. *xml.SyntaxError), may be nil
}

// Error implements error.
func (e *DDFError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Element != "" {
		b.WriteString(e.Element)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap exposes ErrInvalidDDF and the underlying cause, if any.
func (e *DDFError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalidDDF, e.Err}
	}
	return []error{ErrInvalidDDF}
}
