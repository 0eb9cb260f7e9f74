package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec/linkformat"
	"github.com/shoal-iot/shoal/lwm2m/codec/std"
	"github.com/shoal-iot/shoal/objects"
)

// maxPayload bounds what decode and encode read (a firmware image is not a
// payload to inspect here).
const maxPayload = 16 << 20

// Document is the JSON shape `shoal decode` prints and `shoal encode` reads:
// exactly one of Node, Records and Links is set. Node and record JSON are
// documented in package lwm2m (json.go).
type Document struct {
	Format  string         `json:"format"`
	Path    string         `json:"path,omitempty"`
	Node    *lwm2m.Node    `json:"node,omitempty"`
	Records []lwm2m.Record `json:"records,omitempty"`
	Links   []lwm2m.Link   `json:"links,omitempty"`
}

func loadModels(dir string) (*objects.Registry, error) {
	reg := objects.New()
	if dir != "" {
		if err := reg.LoadDir(dir); err != nil {
			return nil, err
		}
	}
	return reg, nil
}

// readInput takes the payload from --hex, --file, or the single argument
// "-" (standard input), in that order.
func readInput(cmd *cobra.Command, hexStr, file string, args []string) ([]byte, error) {
	given := 0
	for _, set := range []bool{hexStr != "", file != "", len(args) == 1} {
		if set {
			given++
		}
	}
	if given != 1 {
		return nil, errors.New("give the input exactly once: --hex HEX, --file F, or - for standard input")
	}
	switch {
	case hexStr != "":
		clean := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\t' || r == ':' {
				return -1
			}
			return r
		}, hexStr)
		b, err := hex.DecodeString(clean)
		if err != nil {
			return nil, fmt.Errorf("--hex: %v", err)
		}
		return b, nil
	case file != "":
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return readLimited(f, file)
	}
	if args[0] != "-" {
		return nil, fmt.Errorf("unexpected argument %q (use - for standard input)", args[0])
	}
	return readLimited(cmd.InOrStdin(), "standard input")
}

func readLimited(r io.Reader, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxPayload+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if len(b) > maxPayload {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxPayload)
	}
	return b, nil
}

func parseFormat(s string) (lwm2m.ContentFormat, error) {
	if s == "" {
		return lwm2m.FormatNone, errors.New("--format is required (text, opaque, tlv, lwm2m-json, senml-json, senml-cbor, lwm2m-cbor, cbor, link)")
	}
	f, err := lwm2m.ParseContentFormat(s)
	if err != nil {
		return lwm2m.FormatNone, fmt.Errorf("--format: %v", err)
	}
	return f, nil
}

func newDecodeCmd() *cobra.Command {
	var format, path, hexStr, file, modelDir string
	var records bool
	cmd := &cobra.Command{
		Use:   "decode --format F [--path P] [--hex HEX | --file F | -]",
		Short: "Decode a captured LwM2M payload and print it as JSON",
		Long: `Decode a payload of any LwM2M content format and print the decoded node, records or links
as JSON (the shape is documented in the README). The path is the request's path: TLV,
text and opaque need it; SenML, LwM2M JSON and LwM2M CBOR carry full paths and default to "/".
Record formats print a node when the payload holds one untimestamped node at --path, and flat
records otherwise (or always, with --records).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := parseFormat(format)
			if err != nil {
				return err
			}
			data, err := readInput(cmd, hexStr, file, args)
			if err != nil {
				return err
			}
			doc, err := decode(f, path, data, modelDir, records)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(doc)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&format, "format", "", "content format: text, opaque, tlv, lwm2m-json, senml-json, senml-cbor, lwm2m-cbor, cbor, link (or a number)")
	fl.StringVar(&path, "path", "", `the request path, e.g. /3/0 (default "/" for formats that carry full paths)`)
	fl.StringVar(&hexStr, "hex", "", "the payload as hex (spaces and colons allowed)")
	fl.StringVar(&file, "file", "", "read the payload from a file")
	fl.StringVar(&modelDir, "model-dir", "", "a directory of vendor DDF XML files to add to the standard objects")
	fl.BoolVar(&records, "records", false, "always print flat records")
	return cmd
}

func decode(f lwm2m.ContentFormat, pathStr string, data []byte, modelDir string, forceRecords bool) (*Document, error) {
	doc := &Document{Format: f.String()}
	if f == lwm2m.FormatLinkFormat {
		links, err := linkformat.Parse(data)
		if err != nil {
			return nil, err
		}
		doc.Links = links
		return doc, nil
	}
	models, err := loadModels(modelDir)
	if err != nil {
		return nil, err
	}
	p := lwm2m.Root
	if pathStr != "" {
		if p, err = lwm2m.ParsePath(pathStr); err != nil {
			return nil, fmt.Errorf("--path: %v", err)
		}
	}
	doc.Path = p.String()
	reg := std.New()
	if forceRecords || p.IsRoot() {
		recs, err := reg.DecodeRecords(f, p, data, models)
		if err != nil {
			return nil, err
		}
		doc.Records = recs
		return doc, nil
	}
	n, err := reg.Decode(f, p, data, models)
	if err != nil {
		// A record format may hold several timestamps: show them flat.
		recs, rerr := reg.DecodeRecords(f, p, data, models)
		if rerr != nil {
			return nil, err
		}
		doc.Records = recs
		return doc, nil
	}
	doc.Node = &n
	return doc, nil
}

func newEncodeCmd() *cobra.Command {
	var format, path, file, output, modelDir string
	cmd := &cobra.Command{
		Use:   "encode --format F [--path P] [--file F | -]",
		Short: "Encode a JSON node, records or links (as printed by decode) into an LwM2M payload",
		Long: `Read a JSON document of the shape "shoal decode" prints ({"path": …, "node": …} or
{"records": […]} or {"links": […]}) and write the payload in the requested content format,
as hex (default), base64 or raw bytes.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := parseFormat(format)
			if err != nil {
				return err
			}
			if len(args) == 0 && file == "" {
				args = []string{"-"}
			}
			in, err := readInput(cmd, "", file, args)
			if err != nil {
				return err
			}
			if _, err := loadModels(modelDir); err != nil {
				return err
			}
			out, err := encode(f, path, in)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			switch output {
			case "hex":
				_, err = fmt.Fprintln(w, hex.EncodeToString(out))
			case "base64":
				_, err = fmt.Fprintln(w, base64.StdEncoding.EncodeToString(out))
			case "raw":
				_, err = w.Write(out)
			default:
				return fmt.Errorf("--output: %q is not hex, base64 or raw", output)
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&format, "format", "", "target content format (as for decode)")
	fl.StringVar(&path, "path", "", "the request path; overrides the document's path")
	fl.StringVar(&file, "file", "", "read the JSON document from a file (default: standard input)")
	fl.StringVarP(&output, "output", "o", "hex", "hex, base64 or raw")
	fl.StringVar(&modelDir, "model-dir", "", "a directory of vendor DDF XML files (checked for errors)")
	return cmd
}

func encode(f lwm2m.ContentFormat, pathStr string, in []byte) ([]byte, error) {
	var doc Document
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("input is not a decode document: %v", err)
	}
	if f == lwm2m.FormatLinkFormat {
		if doc.Links == nil {
			return nil, errors.New(`format link needs a document with "links"`)
		}
		return linkformat.Format(doc.Links), nil
	}
	if pathStr == "" {
		pathStr = doc.Path
	}
	p := lwm2m.Root
	if pathStr != "" {
		var err error
		if p, err = lwm2m.ParsePath(pathStr); err != nil {
			return nil, fmt.Errorf("path: %v", err)
		}
	}
	reg := std.New()
	switch {
	case doc.Node != nil && doc.Records != nil:
		return nil, errors.New(`the document has both "node" and "records"`)
	case doc.Node != nil:
		if err := doc.Node.Validate(p); err != nil {
			return nil, err
		}
		return reg.Encode(f, p, doc.Node)
	case doc.Records != nil:
		return reg.EncodeRecords(f, p, doc.Records)
	}
	return nil, errors.New(`the document has neither "node" nor "records"`)
}
