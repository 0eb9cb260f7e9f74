package main

import (
	"encoding/pem"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoal-iot/shoal/app"
	"github.com/shoal-iot/shoal/bootstrap/ca"
)

// newCACmd is `shoal ca`: Shoal's own certificate authority.
func newCACmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ca",
		Short: "Shoal's certificate authority (issues device certificates at bootstrap)",
		Long: `Shoal's own certificate authority: an ECDSA P-256 key, encrypted at rest with the
data directory's secret key, and a self-signed CA certificate, both in DATA_DIR/ca.
With it, bootstrap configurations of security x509 give devices certificates it
signs, and shoal serve presents a DTLS certificate it issues (unless --dtls-cert is
set). Restart shoal serve after init. The certificate is also served at
GET /api/v1/ca/certificate.`,
	}
	cmd.AddCommand(newCAInitCmd(), newCACertCmd())
	return cmd
}

func newCAInitCmd() *cobra.Command {
	dataDir := "./shoal-data"
	var o ca.InitOptions
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create the CA in the data directory and print its certificate",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd.Flags()); err != nil {
				return err
			}
			a, err := app.InitCA(dataDir, o)
			if err != nil {
				return err
			}
			c := a.Certificate()
			fmt.Fprintf(cmd.ErrOrStderr(), "created %s: CN %q, ECDSA P-256, valid until %s, SHA-256 %s\n",
				filepath.Join(ca.Dir(dataDir), ca.CertFile), c.Subject.CommonName, c.NotAfter.UTC().Format(time.RFC3339), a.Fingerprint())
			_, err = cmd.OutOrStdout().Write(a.CertificatePEM())
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&dataDir, "data-dir", dataDir, "data directory (its secret key encrypts the CA key)")
	f.StringVar(&o.CommonName, "cn", "Shoal CA", "common name of the CA certificate")
	f.StringVar(&o.Organization, "org", "", "organisation of the CA certificate")
	f.DurationVar(&o.Validity, "validity", 10*365*24*time.Hour, "validity of the CA certificate")
	f.BoolVar(&o.Replace, "force", false, "replace an existing CA (certificates it issued stop verifying)")
	return cmd
}

func newCACertCmd() *cobra.Command {
	dataDir := "./shoal-data"
	var der bool
	cmd := &cobra.Command{
		Use:   "cert",
		Short: "Print the CA certificate (PEM, or DER with --der)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd.Flags()); err != nil {
				return err
			}
			a, err := app.LoadCA(dataDir)
			if err != nil {
				return err
			}
			out := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.Certificate().Raw})
			if der {
				out = a.Certificate().Raw
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", dataDir, "data directory")
	cmd.Flags().BoolVar(&der, "der", false, "write DER instead of PEM")
	return cmd
}
