package dm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/shoal-iot/shoal/models"
)

// Firmware images and campaigns are fleet business: every use case here
// needs the admin or operator role.

// ImageInput describes an uploaded image. SHA256, when given, is the
// digest the bytes must have (hex, 64 digits): a mismatch stores nothing.
type ImageInput struct {
	Name       string
	Version    string
	SHA256     string
	Models     []string
	ProfileIDs []int64
	Notes      string
}

// Limits of image metadata.
const (
	maxImageVersion = 255 // /3/0/3 and /5/0/7 are strings; keep them printable
	maxImageName    = 255
	maxImageNotes   = 64 << 10
)

// UploadImage streams an image into the blob store, computing its SHA-256
// on the way, and records it. Nothing is kept when the stream fails, is
// empty or larger than MaxImageSize, or does not match in.SHA256.
func (s *Service) UploadImage(ctx context.Context, who Principal, in ImageInput, r io.Reader) (models.FirmwareImage, error) {
	if err := needFleet(who, "uploading firmware"); err != nil {
		return models.FirmwareImage{}, err
	}
	e, err := s.firmware()
	if err != nil {
		return models.FirmwareImage{}, err
	}
	if err := s.checkImageInput(ctx, &in); err != nil {
		return models.FirmwareImage{}, err
	}
	w, err := e.blobs.Create(ctx)
	if err != nil {
		return models.FirmwareImage{}, fmt.Errorf("firmware: storing the image: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(r, e.cfg.MaxImageSize+1))
	abort := func(err error) (models.FirmwareImage, error) {
		_ = w.Abort()
		return models.FirmwareImage{}, err
	}
	switch {
	case err != nil:
		return abort(fmt.Errorf("%w: body: the upload broke off after %d bytes: %v", ErrInvalid, n, err))
	case n > e.cfg.MaxImageSize:
		return abort(fmt.Errorf("%w: body: the image exceeds %d bytes", ErrInvalid, e.cfg.MaxImageSize))
	case n == 0:
		return abort(invalid("body", "the image is empty"))
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if in.SHA256 != "" && sum != in.SHA256 {
		return abort(invalid("sha256", "the image's SHA-256 is %s, not the %s given; nothing was stored", sum, in.SHA256))
	}
	loc, err := w.Commit()
	if err != nil {
		return abort(fmt.Errorf("firmware: storing the image: %w", err))
	}
	img := models.FirmwareImage{Name: in.Name, Version: in.Version, SHA256: sum, Size: n, Location: loc,
		Models: in.Models, ProfileIDs: in.ProfileIDs, Notes: in.Notes}
	if err := e.st.Images.Create(ctx, &img); err != nil {
		_ = e.blobs.Remove(loc)
		return models.FirmwareImage{}, err
	}
	s.record(ctx, models.Event{Category: models.CategoryFirmware, Type: "firmware.uploaded", Actor: who.Actor(),
		Data: jsonOf(map[string]any{"image_id": img.ID, "name": img.Name, "version": img.Version, "sha256": img.SHA256, "size": img.Size})})
	return img, nil
}

// checkImageInput validates and normalises an upload's metadata.
func (s *Service) checkImageInput(ctx context.Context, in *ImageInput) error {
	in.Version, in.Name = strings.TrimSpace(in.Version), strings.TrimSpace(in.Name)
	in.SHA256 = strings.ToLower(strings.TrimSpace(in.SHA256))
	switch {
	case in.Version == "":
		return invalid("version", "is required")
	case len(in.Version) > maxImageVersion:
		return invalid("version", "%d bytes, at most %d", len(in.Version), maxImageVersion)
	case strings.ContainsFunc(in.Version, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return invalid("version", "contains control characters")
	case len(in.Name) > maxImageName:
		return invalid("name", "%d bytes, at most %d", len(in.Name), maxImageName)
	case len(in.Notes) > maxImageNotes:
		return invalid("notes", "%d bytes, at most %d", len(in.Notes), maxImageNotes)
	}
	if in.Name == "" {
		in.Name = in.Version
	}
	if in.SHA256 != "" {
		if b, err := hex.DecodeString(in.SHA256); err != nil || len(b) != sha256.Size {
			return invalid("sha256", "%q is not 64 hex digits", in.SHA256)
		}
	}
	for i, m := range in.Models {
		if strings.TrimSpace(m) == "" {
			return invalid(fmt.Sprintf("models[%d]", i), "is empty")
		}
	}
	for i, id := range in.ProfileIDs {
		if _, err := s.st.Profiles.Get(ctx, id); errors.Is(err, ErrNotFound) {
			return invalid(fmt.Sprintf("profile_ids[%d]", i), "no profile %d", id)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// ListImages lists firmware images in id order.
func (s *Service) ListImages(ctx context.Context, who Principal, p PageRequest) (Page[models.FirmwareImage], error) {
	if err := needFleet(who, "reading firmware"); err != nil {
		return Page[models.FirmwareImage]{}, err
	}
	e, err := s.firmware()
	if err != nil {
		return Page[models.FirmwareImage]{}, err
	}
	return e.st.Images.List(ctx, p)
}

// GetImage returns an image's record.
func (s *Service) GetImage(ctx context.Context, who Principal, id int64) (models.FirmwareImage, error) {
	if err := needFleet(who, "reading firmware"); err != nil {
		return models.FirmwareImage{}, err
	}
	e, err := s.firmware()
	if err != nil {
		return models.FirmwareImage{}, err
	}
	img, err := e.st.Images.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return img, notFound("firmware image", id)
	}
	return img, err
}

// OpenImage returns an image with its bytes (a shared handle: do not
// close it).
func (s *Service) OpenImage(ctx context.Context, who Principal, id int64) (models.FirmwareImage, Blob, error) {
	img, err := s.GetImage(ctx, who, id)
	if err != nil {
		return img, nil, err
	}
	b, err := s.rt.fw.images.blob(img)
	return img, b, err
}

// DeleteImage deletes an image and its bytes; it is refused (ErrConflict)
// while a campaign uses it or a profile targets it.
func (s *Service) DeleteImage(ctx context.Context, who Principal, id int64) error {
	img, err := s.GetImage(ctx, who, id)
	if err != nil {
		return err
	}
	e := s.rt.fw
	if c, ok, err := e.campaignOfImage(ctx, id); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("%w: firmware image %d: campaign %d (%q, %s) uses it; delete the campaign first", ErrConflict, id, c.ID, c.Name, c.State)
	}
	p := PageRequest{Limit: MaxPageLimit}
	for {
		pg, err := s.st.Profiles.List(ctx, p)
		if err != nil {
			return err
		}
		for _, pr := range pg.Items {
			if t := pr.Spec.TargetFirmware; t != nil && t.ImageID == id {
				return fmt.Errorf("%w: firmware image %d: profile %q targets it", ErrConflict, id, pr.Name)
			}
		}
		if pg.Next == "" {
			break
		}
		p.Cursor = pg.Next
	}
	if err := e.st.Images.Delete(ctx, id); err != nil {
		return err
	}
	e.images.drop(id)
	if err := e.blobs.Remove(img.Location); err != nil {
		s.log.Warn().Err(err).Int64("image", id).Msg("dm: removing a deleted image's bytes")
	}
	s.record(ctx, models.Event{Category: models.CategoryFirmware, Type: "firmware.deleted", Actor: who.Actor(),
		Data: jsonOf(map[string]any{"image_id": id, "name": img.Name, "version": img.Version})})
	return nil
}

// campaignOfImage finds a campaign that uses an image.
func (e *fwEngine) campaignOfImage(ctx context.Context, id int64) (models.Campaign, bool, error) {
	p := PageRequest{Limit: MaxPageLimit}
	for {
		pg, err := e.st.Campaigns.List(ctx, p)
		if err != nil {
			return models.Campaign{}, false, err
		}
		for _, c := range pg.Items {
			if c.ImageID == id {
				return c, true, nil
			}
		}
		if pg.Next == "" {
			return models.Campaign{}, false, nil
		}
		p.Cursor = pg.Next
	}
}
