package main

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/spf13/cobra"
)

// serverCmds are the routes about the server itself.
func (a *app) serverCmds() []*cobra.Command {
	return []*cobra.Command{
		{
			Use:   "health",
			Short: "Check that the server answers (GET /healthz, no token needed)",
			Args:  noArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				var raw json.RawMessage
				if err := a.api.getJSON(cmd.Context(), "/healthz", nil, &raw); err != nil {
					return err
				}
				return showAs(a, raw, func(h struct {
					Status string `json:"status"`
				}) *table {
					return fields("server", a.cfg.Server, "status", h.Status)
				})
			},
		},
		{
			Use:   "openapi",
			Short: "Print the server's OpenAPI 3 document",
			Args:  noArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				var raw json.RawMessage
				if err := a.api.getJSON(cmd.Context(), "/api/v1/openapi.json", nil, &raw); err != nil {
					return err
				}
				a.cfg.Output = "json"
				return a.show(raw, nil)
			},
		},
		{
			Use:   "metrics",
			Short: "Print the server's Prometheus metrics",
			Args:  noArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				resp, err := a.api.send(cmd.Context(), request{method: http.MethodGet, path: "/metrics", accept: "text/plain"})
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				_, err = io.Copy(a.out, resp.Body)
				return err
			},
		},
	}
}
