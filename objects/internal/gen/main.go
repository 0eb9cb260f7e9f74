// Command gen writes standard_gen.go, the compiled-in table of the standard
// LwM2M object models, from the DDF XML files in a directory:
//
//	go run ./internal/gen -out standard_gen.go ddf
//
// It is run by `go generate ./objects`. The output is gofmt'ed and depends
// only on the XML (files are read in name order, objects sorted by id and
// version), so regenerating from unchanged files yields identical bytes.
//
// gen parses with objects.ParseDDF and so builds against the committed
// standard_gen.go; should that file ever be broken, restore it from git
// before regenerating.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// run is main without the exit, for tests.
func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "standard_gen.go", "output `file`")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gen [-out file] ddf-dir")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("want exactly one DDF directory, got %d arguments", fs.NArg())
	}
	src, err := generate(fs.Arg(0))
	if err != nil {
		return err
	}
	return os.WriteFile(*out, src, 0o644)
}
