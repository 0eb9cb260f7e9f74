package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// Firmware images: POST /firmware streams the raw body straight into
// dm.Service.UploadImage — it is never held in memory whole — with the
// metadata in the query.

func (s *Server) listFirmware(w http.ResponseWriter, r *http.Request) error {
	return listPage(w, r, s.svc.ListImages, toFirmwareImageDTO)
}

// imageInput reads an upload's metadata from the query: version
// (required), name, sha256, model and profile (repeatable; a profile by
// name or id), notes.
func (s *Server) imageInput(r *http.Request) (dm.ImageInput, error) {
	q := r.URL.Query()
	in := dm.ImageInput{Version: q.Get("version"), Name: q.Get("name"), SHA256: q.Get("sha256"),
		Models: queryList(q, "model"), Notes: q.Get("notes")}
	if in.Version == "" {
		return in, badField("version", "is required (?version=1.2.3)")
	}
	for _, p := range queryList(q, "profile") {
		pr, err := s.svc.GetProfile(r.Context(), who(r), p)
		if errors.Is(err, dm.ErrNotFound) {
			return in, badField("profile", "no profile %q", p)
		}
		if err != nil {
			return in, err
		}
		in.ProfileIDs = append(in.ProfileIDs, pr.ID)
	}
	return in, nil
}

// requireOctetStream refuses bodies declared as anything but raw bytes; a
// missing Content-Type is taken as application/octet-stream.
func requireOctetStream(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/octet-stream" {
		return &httpError{http.StatusUnsupportedMediaType, typeMediaType, "Content-Type " + ct + " is not application/octet-stream; send the image's raw bytes"}
	}
	return nil
}

// tooLarge is the 413 of an image over the server's limit.
func tooLarge(limit int64) error {
	return &httpError{http.StatusRequestEntityTooLarge, typeTooLarge,
		"the image exceeds the server's limit of " + strconv.FormatInt(limit, 10) + " bytes"}
}

func (s *Server) uploadFirmware(w http.ResponseWriter, r *http.Request) error {
	// The role is checked before anything is read: a customer's upload is
	// refused without reading its body.
	if err := s.svc.AuthorizeFleet(who(r), "uploading firmware"); err != nil {
		return err
	}
	if err := requireOctetStream(r); err != nil {
		return err
	}
	in, err := s.imageInput(r)
	if err != nil {
		return err
	}
	limit := s.svc.MaxImageSize()
	if limit > 0 && r.ContentLength > limit {
		return tooLarge(limit)
	}
	body := &uploadReader{r: r.Body, rc: http.NewResponseController(w), idle: s.cfg.ReadTimeout}
	img, err := s.svc.UploadImage(r.Context(), who(r), in, body)
	if err != nil {
		if limit > 0 && body.n > limit && errors.Is(err, dm.ErrInvalid) {
			return tooLarge(limit)
		}
		return err
	}
	w.Header().Set("Location", V1+"/firmware/"+strconv.FormatInt(img.ID, 10))
	return writeJSON(w, http.StatusCreated, toFirmwareImageDTO(img))
}

// uploadReader counts an upload's bytes and, while they keep coming,
// pushes the connection's read deadline forward: the server's ReadTimeout
// bounds a stalled upload, not a large one on a slow link.
type uploadReader struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
	n    int64
	last time.Time
}

func (u *uploadReader) Read(p []byte) (int, error) {
	if u.idle > 0 {
		// Moving the deadline is a syscall; once a second is enough.
		if now := time.Now(); now.Sub(u.last) > time.Second {
			u.last = now
			_ = u.rc.SetReadDeadline(now.Add(u.idle))
		}
	}
	n, err := u.r.Read(p)
	u.n += int64(n)
	return n, err
}

func (s *Server) getFirmware(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	img, err := s.svc.GetImage(r.Context(), who(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toFirmwareImageDTO(img))
}

// downloadFirmware answers an image's bytes with its SHA-256 as the ETag;
// http.ServeContent does ranges and conditional requests.
func (s *Server) downloadFirmware(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	img, blob, err := s.svc.OpenImage(r.Context(), who(r), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": imageFileName(img)}))
	serveBlob(w, r, img, blob)
	return nil
}

// imageFileName names a downloaded image: its name and version.
func imageFileName(img models.FirmwareImage) string {
	if img.Name == img.Version || img.Name == "" {
		return img.Version + ".bin"
	}
	return fmt.Sprintf("%s-%s.bin", img.Name, img.Version)
}

// serveBlob writes an image's bytes (ranges, If-None-Match and HEAD as
// http.ServeContent does them).
func serveBlob(w http.ResponseWriter, r *http.Request, img models.FirmwareImage, blob dm.Blob) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("ETag", `"`+img.SHA256+`"`)
	w.Header().Set("Cache-Control", "no-store")
	http.ServeContent(w, r, "", img.CreatedAt, io.NewSectionReader(blob, 0, img.Size))
}

func (s *Server) deleteFirmware(w http.ResponseWriter, r *http.Request) error {
	return deleteByID(w, r, s.svc.DeleteImage)
}
