package main

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
)

// Argument validators whose errors count as usage errors (exit 2).

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s takes no arguments (got %q)", cmd.CommandPath(), args)}
	}
	return nil
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("usage: %s (%d argument(s), got %d)", cmd.UseLine(), n, len(args))}
		}
		return nil
	}
}

func minArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usageError{fmt.Errorf("usage: %s (at least %d argument(s), got %d)", cmd.UseLine(), n, len(args))}
		}
		return nil
	}
}

func rangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return usageError{fmt.Errorf("usage: %s (%d to %d arguments, got %d)", cmd.UseLine(), lo, hi, len(args))}
		}
		return nil
	}
}

// isCobraUsage recognises cobra's own errors about flags and commands.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "invalid argument",
		"flag needs an argument", "required flag", "bad flag syntax"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// oneLine folds a message onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// setQ sets a query parameter when v is not empty.
func setQ(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}

// setB sets a body member when v is not empty.
func setB(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// labelMap parses name=value flags.
func labelMap(ls []string) (map[string]string, error) {
	if len(ls) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(ls))
	for _, l := range ls {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return nil, usageError{fmt.Errorf("label %q: expected name=value", l)}
		}
		out[k] = v
	}
	return out, nil
}

// groupRun makes a command group refuse unknown subcommands (cobra would
// print the help and exit 0) and print its help when called bare.
func groupRun(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())}
	}
	return cmd.Help()
}
