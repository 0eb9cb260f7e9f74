package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

var (
	imageCols = []col{{"ID", "id"}, {"NAME", "name"}, {"VERSION", "version"}, {"SIZE", "size"}, {"SHA256", "sha256"}, {"MODELS", "models"},
		{"PROFILES", "profile_ids"}, {"CREATED", "created_at"}}
	imageKeys = []string{"id", "name", "version", "size", "sha256", "models", "profile_ids", "notes", "created_at"}
)

// firmwareCmds are issue 7's commands: firmware images and campaigns.
func (a *app) firmwareCmds() []*cobra.Command {
	return []*cobra.Command{a.firmwareCmd(), a.campaignCmd()}
}

func (a *app) firmwareCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "firmware", Aliases: []string{"images"}, Short: "Firmware images: upload, list, show, download, delete", RunE: groupRun}
	var lf listFlags
	list := &cobra.Command{Use: "list", Short: "List firmware images", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			lf.query(q)
			return a.list(cmd.Context(), "/api/v1/firmware", q, imageCols)
		}}
	lf.add(list)
	show := &cobra.Command{Use: "show ID", Short: "Show a firmware image", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := idArg("image", args[0])
			if err != nil {
				return err
			}
			return a.get(cmd.Context(), "/api/v1/firmware/"+id, imageKeys)
		}}
	del := &cobra.Command{Use: "delete ID", Short: "Delete a firmware image (refused while a campaign uses it)", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := idArg("image", args[0])
			if err != nil {
				return err
			}
			return a.remove(cmd.Context(), "/api/v1/firmware/"+id, nil, "deleted firmware image "+id)
		}}
	cmd.AddCommand(a.uploadCmd(), list, show, a.downloadCmd(), del)
	return cmd
}

// idArg checks a numeric id argument.
func idArg(what, s string) (string, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err != nil || n <= 0 {
		return "", usageError{fmt.Errorf("%s id %q: want a positive number", what, s)}
	}
	return s, nil
}

func (a *app) uploadCmd() *cobra.Command {
	var version, name, sum, notes string
	var modelList, profiles []string
	cmd := &cobra.Command{Use: "upload FILE", Short: "Upload a firmware image (streamed; progress on standard error)", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(version) == "" {
				return usageError{errors.New("--version is required: the version the device reports once updated")}
			}
			if sum != "" {
				if b, err := hex.DecodeString(sum); err != nil || len(b) != sha256.Size {
					return usageError{fmt.Errorf("--sha256 %q: want 64 hex digits", sum)}
				}
			}
			f, err := os.Open(args[0])
			if err != nil {
				return usageError{err}
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				return usageError{err}
			}
			if !fi.Mode().IsRegular() {
				return usageError{fmt.Errorf("%s is not a regular file", args[0])}
			}
			if fi.Size() == 0 {
				return usageError{fmt.Errorf("%s is empty", args[0])}
			}
			q := url.Values{"version": {version}}
			setQ(q, "name", name)
			setQ(q, "sha256", sum)
			setQ(q, "notes", notes)
			q["model"], q["profile"] = modelList, profiles
			pr := newProgress(a.err, fi.Size(), "uploading "+fi.Name())
			var raw json.RawMessage
			_, err = a.api.do(cmd.Context(), request{method: http.MethodPost, path: "/api/v1/firmware", query: q,
				body: io.TeeReader(f, pr), contentType: "application/octet-stream", size: fi.Size()}, &raw)
			pr.finish()
			if err != nil {
				return err
			}
			return showAs(a, raw, fieldsTable(imageKeys...))
		}}
	fl := cmd.Flags()
	fl.StringVar(&version, "version", "", "the version the device reports once updated (/3/0/3); required")
	fl.StringVar(&name, "name", "", "a name (default: the version)")
	fl.StringVar(&sum, "sha256", "", "the image's SHA-256 in hex: the server refuses the upload if the bytes differ")
	fl.StringSliceVar(&modelList, "model", nil, "a compatible device model (/3/0/1); repeatable")
	fl.StringSliceVar(&profiles, "profile", nil, "a profile (name or id) the image is for; repeatable")
	fl.StringVar(&notes, "notes", "", "release notes")
	return cmd
}

func (a *app) downloadCmd() *cobra.Command {
	var file string
	cmd := &cobra.Command{Use: "download ID", Short: "Download a firmware image (checked against its SHA-256)", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := idArg("image", args[0])
			if err != nil {
				return err
			}
			resp, err := a.api.send(cmd.Context(), request{method: http.MethodGet, path: "/api/v1/firmware/" + id + "/content", accept: "*/*"})
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			out := a.out
			var f *os.File
			if file != "" && file != "-" {
				if f, err = os.Create(file); err != nil {
					return usageError{err}
				}
				out = f
			}
			h := sha256.New()
			n, err := io.Copy(io.MultiWriter(out, h), resp.Body)
			if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
				err = fmt.Errorf("the download broke off after %d of %d bytes", n, resp.ContentLength)
			}
			if want := strings.Trim(resp.Header.Get("ETag"), `"`); err == nil && want != "" && want != hex.EncodeToString(h.Sum(nil)) {
				err = fmt.Errorf("the downloaded bytes have SHA-256 %x, the server announced %s", h.Sum(nil), want)
			}
			if f != nil {
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					_ = os.Remove(file)
				}
			}
			if err != nil {
				return fmt.Errorf("image %s: %w", id, err)
			}
			if f != nil && a.cfg.Output != "json" {
				fmt.Fprintf(a.err, "wrote %d bytes to %s\n", n, file)
			}
			return nil
		}}
	cmd.Flags().StringVarP(&file, "out", "O", "", "write to this file instead of standard output")
	return cmd
}
