package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/spf13/cobra"
)

var (
	credentialCols = []col{{"ID", "id"}, {"MODE", "mode"}, {"STATE", "state"}, {"PSK IDENTITY", "psk_identity"}, {"FINGERPRINT", "fingerprint"},
		{"NOT AFTER", "not_after"}, {"REASON", "reason"}, {"DELIVERED", "delivered_at"}, {"CONFIRMED", "confirmed_at"}}
	credentialKeys = []string{"id", "mode", "state", "psk_identity", "fingerprint", "not_after"}
)

func (a *app) credentialsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "credentials", Aliases: []string{"credential", "creds"}, Short: "A device's credentials: show, rotate, revoke", RunE: groupRun}
	show := &cobra.Command{Use: "show <endpoint>", Short: "Show a device's credentials and their lifecycle (never secrets)", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.list(cmd.Context(), "/api/v1/devices/"+esc(args[0])+"/credentials", nil, credentialCols)
		}}
	rotate := &cobra.Command{Use: "rotate <endpoint>", Short: "Issue new credentials and deliver them by re-bootstrap (the old stay valid until the device uses the new)",
		Args: exactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			var raw json.RawMessage
			status, err := a.api.sendJSON(cmd.Context(), http.MethodPost, "/api/v1/devices/"+esc(args[0])+"/credentials/rotate", nil, nil, &raw)
			if err != nil {
				return err
			}
			return showAs(a, raw, func(r record) *table {
				var c record
				_ = json.Unmarshal(r["credential"], &c)
				t := fieldsTable(credentialKeys...)(c)
				trigger := "sent: the device is re-bootstrapping"
				if status == http.StatusAccepted {
					trigger = "queued until the device appears (command " + record(mustRecord(r["command"])).get("id") + ")"
				}
				t.add("trigger", trigger)
				return t
			})
		}}
	revoke := &cobra.Command{Use: "revoke <endpoint> <credential-id>", Short: "Revoke a credential: its next handshake fails and a live session using it is closed",
		Args: exactArgs(2), RunE: func(cmd *cobra.Command, args []string) error {
			return a.write(cmd.Context(), http.MethodDelete, "/api/v1/devices/"+esc(args[0])+"/credentials/"+esc(args[1]), nil, "", credentialKeys)
		}}
	cmd.AddCommand(show, rotate, revoke)
	return cmd
}

func mustRecord(raw json.RawMessage) map[string]json.RawMessage {
	var r map[string]json.RawMessage
	_ = json.Unmarshal(raw, &r)
	return r
}

// caRestartNote follows a CA created on a running server: its DTLS
// listeners keep the certificate they started with, so devices given
// certificates from the new CA cannot register until it restarts.
const caRestartNote = "restart shoal serve now (unless it runs with --dtls-cert): its DTLS listeners present a certificate " +
	"from this CA only from their next start, and until then devices bootstrapped with x509 credentials cannot register"

func (a *app) caCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "ca", Short: "Shoal's certificate authority: create it, download its certificate", RunE: groupRun}
	var cn, org string
	var validity time.Duration
	initCmd := &cobra.Command{Use: "init", Short: "Create Shoal's CA in the server's data directory (admin); restart shoal serve afterwards", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			body := map[string]any{}
			setB(body, "cn", cn)
			setB(body, "org", org)
			if validity != 0 {
				body["validity"] = validity.String()
			}
			if err := a.write(cmd.Context(), http.MethodPost, "/api/v1/ca", body, "", []string{"subject", "fingerprint", "not_after"}); err != nil {
				return err
			}
			fmt.Fprintln(a.err, caRestartNote)
			return nil
		}}
	initCmd.Flags().StringVar(&cn, "cn", "", "common name (default Shoal CA)")
	initCmd.Flags().StringVar(&org, "org", "", "organisation")
	initCmd.Flags().DurationVar(&validity, "validity", 0, "validity (default 87600h)")
	var der bool
	var file string
	certCmd := &cobra.Command{Use: "cert", Short: "Download the CA certificate (PEM, or DER with --der)", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			if der {
				q["format"] = []string{"der"}
			}
			resp, err := a.api.send(cmd.Context(), request{method: http.MethodGet, path: "/api/v1/ca/certificate", query: q, accept: "*/*"})
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			out := a.out
			if file != "" {
				f, err := os.Create(file)
				if err != nil {
					return usageError{err}
				}
				defer f.Close()
				out = f
			}
			if _, err := io.Copy(out, io.LimitReader(resp.Body, 1<<20)); err != nil {
				return fmt.Errorf("reading the certificate: %w", err)
			}
			return nil
		}}
	certCmd.Flags().BoolVar(&der, "der", false, "DER instead of PEM")
	certCmd.Flags().StringVarP(&file, "out", "O", "", "write to this file instead of standard output")
	cmd.AddCommand(initCmd, certCmd)
	return cmd
}
