package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

type profileView struct {
	ID          int64           `json:"id"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Spec        json.RawMessage `json:"spec"`
	UpdatedAt   *time.Time      `json:"updated_at"`
}

func (a *app) profilesCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "profiles", Aliases: []string{"profile"}, Short: "List, show, create, replace and delete profiles", RunE: groupRun}
	cmd.AddCommand(a.profilesList(), a.profilesGet(), a.profileWrite("create"), a.profileWrite("update"), a.profilesDelete())
	return cmd
}

func (a *app) profilesList() *cobra.Command {
	var cursor string
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List profiles",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			setQ(q, "cursor", cursor)
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			var raw json.RawMessage
			if err := a.api.getJSON(cmd.Context(), "/api/v1/profiles", q, &raw); err != nil {
				return err
			}
			return showAs(a, raw, func(p page[profileView]) *table {
				t := newTable("ID", "NAME", "DESCRIPTION", "UPDATED")
				for _, pr := range p.Items {
					t.add(num(pr.ID), pr.Name, pr.Description, ts(pr.UpdatedAt))
				}
				pageFooter(t, p)
				return t
			})
		},
	}
	cmd.Flags().StringVar(&cursor, "cursor", "", "next page cursor")
	cmd.Flags().IntVar(&limit, "limit", 0, "page size")
	return cmd
}

func profileFields(p profileView) *table {
	return fields("id", num(p.ID), "name", p.Name, "description", p.Description, "updated", ts(p.UpdatedAt), "spec", cell(p.Spec))
}

func (a *app) profilesGet() *cobra.Command {
	return &cobra.Command{
		Use:   "get <name|id>",
		Short: "Show a profile",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var raw json.RawMessage
			if err := a.api.getJSON(cmd.Context(), "/api/v1/profiles/"+esc(args[0]), nil, &raw); err != nil {
				return err
			}
			return showAs(a, raw, profileFields)
		},
	}
}

// profileWrite is "create" (POST) or "update" (PUT, a full replacement).
func (a *app) profileWrite(verb string) *cobra.Command {
	var file, name, desc, spec string
	use := "create [name]"
	short := "Create a profile from -f file.json (or - for stdin), or from --spec JSON"
	if verb == "update" {
		use, short = "update <name|id>", "Replace a profile with -f file.json (or - for stdin), or --spec JSON"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  rangeArgs(map[string]int{"create": 0, "update": 1}[verb], 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]json.RawMessage{}
			if file != "" {
				var b []byte
				var err error
				if file == "-" {
					b, err = io.ReadAll(a.in)
				} else {
					b, err = os.ReadFile(file)
				}
				if err != nil {
					return usageError{err}
				}
				if err := json.Unmarshal(b, &body); err != nil {
					return usageError{fmt.Errorf("%s: not a JSON object: %v", file, err)}
				}
			}
			if spec != "" {
				if !json.Valid([]byte(spec)) {
					return usageError{fmt.Errorf("--spec is not JSON")}
				}
				body["spec"] = json.RawMessage(spec)
			}
			if desc != "" {
				body["description"], _ = json.Marshal(desc)
			}
			if name != "" {
				body["name"], _ = json.Marshal(name)
			}
			method, path := http.MethodPost, "/api/v1/profiles"
			if verb == "create" && len(args) == 1 {
				body["name"], _ = json.Marshal(args[0])
			}
			if verb == "update" {
				method, path = http.MethodPut, "/api/v1/profiles/"+esc(args[0])
				if _, ok := body["name"]; !ok && !isNumber(args[0]) {
					body["name"], _ = json.Marshal(args[0])
				}
			}
			var raw json.RawMessage
			if _, err := a.api.sendJSON(cmd.Context(), method, path, nil, body, &raw); err != nil {
				return err
			}
			return showAs(a, raw, profileFields)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "profile JSON file ({\"name\", \"description\", \"spec\"}); - reads stdin")
	f.StringVar(&name, "name", "", "profile name")
	f.StringVar(&desc, "description", "", "description")
	f.StringVar(&spec, "spec", "", "the spec as JSON")
	return cmd
}

func isNumber(s string) bool {
	_, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return err == nil
}

func (a *app) profilesDelete() *cobra.Command {
	return &cobra.Command{
		Use:   "delete <name|id>",
		Short: "Delete a profile no device uses",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := a.api.do(cmd.Context(), request{method: http.MethodDelete, path: "/api/v1/profiles/" + esc(args[0])}, nil); err != nil {
				return err
			}
			if a.cfg.Output != "json" {
				fmt.Fprintf(a.out, "deleted profile %s\n", args[0])
			}
			return nil
		},
	}
}
