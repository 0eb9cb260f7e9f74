package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"github.com/spf13/cobra"
)

// pprofFlags are serve's profiling flags: net/http/pprof on a listener of
// its own, off by default and loopback-only unless allowed otherwise.
type pprofFlags struct {
	addr        string
	allowRemote bool
}

// withPprof adds --pprof-addr and --pprof-allow-remote to serve and wraps
// its RunE: the profiling listener opens before the server starts and
// closes after it has stopped, so a shutdown that hangs can still be
// looked at (/debug/pprof/goroutine?debug=2).
func withPprof(cmd *cobra.Command) *cobra.Command {
	var pf pprofFlags
	f := cmd.Flags()
	f.StringVar(&pf.addr, "pprof-addr", "", "serve net/http/pprof (/debug/pprof/) on this address; empty disables; loopback only unless --pprof-allow-remote")
	f.BoolVar(&pf.allowRemote, "pprof-allow-remote", false, "allow --pprof-addr on a non-loopback address (pprof has no authentication)")
	inner := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		for _, name := range []string{"pprof-addr", "pprof-allow-remote"} {
			fl := c.Flags().Lookup(name)
			if v, ok := os.LookupEnv(envName(name)); ok && !fl.Changed {
				if err := fl.Value.Set(v); err != nil {
					return fmt.Errorf("%s=%q: %w", envName(name), v, err)
				}
			}
		}
		if pf.addr == "" {
			return inner(c, args)
		}
		ln, err := pf.listen()
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: pprofMux(), ReadHeaderTimeout: 10 * time.Second}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()
		fmt.Fprintf(c.ErrOrStderr(), "shoal: pprof on http://%s/debug/pprof/\n", ln.Addr())
		err = inner(c, args)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			_ = srv.Close() // a profile still being taken
		}
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = fmt.Errorf("pprof listener: %w", serr)
		}
		return err
	}
	return cmd
}

// listen binds the profiling address after checking it is loopback (or
// remote access was allowed).
func (pf pprofFlags) listen() (net.Listener, error) {
	host, _, err := net.SplitHostPort(pf.addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof-addr %q: %w", pf.addr, err)
	}
	if !pf.allowRemote {
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("--pprof-addr %q: not a loopback address (pprof has no authentication; add --pprof-allow-remote to serve it anyway)", pf.addr)
		}
	}
	ln, err := net.Listen("tcp", pf.addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof-addr: %w", err)
	}
	return ln, nil
}

// pprofMux routes /debug/pprof/ on a mux of its own (not
// http.DefaultServeMux).
func pprofMux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("/debug/pprof/", pprof.Index)
	m.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	m.HandleFunc("/debug/pprof/profile", pprof.Profile)
	m.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	m.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return m
}
