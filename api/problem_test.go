package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
)

// TestProblemFor pins the error → HTTP mapping, the one place it happens.
func TestProblemFor(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("read /3/0 on dev: %w", err) }
	cases := []struct {
		err    error
		status int
		typ    string
		field  string
		code   string
	}{
		{badField("timeout", "bad"), 400, typeInvalid, "timeout", ""},
		{wrap(fmt.Errorf("%w: labels: too many", dm.ErrInvalid)), 400, typeInvalid, "labels", ""},
		{wrap(fmt.Errorf("%w: write on /3/0/1: has no content", dm.ErrInvalid)), 400, typeInvalid, "", ""},
		{wrap(fmt.Errorf("%w: x", lwm2m.ErrInvalidPath)), 400, typeInvalid, "path", ""},
		{wrap(fmt.Errorf("%w: x", lwm2m.ErrInvalidValue)), 400, typeInvalid, "value", ""},
		{wrap(codec.ErrNotRepresentable), 400, typeInvalid, "format", ""},
		{wrap(server.ErrInvalidRequest), 400, typeInvalid, "", ""},
		{wrap(dm.ErrUnauthorized), 401, typeUnauthorized, "", ""},
		{wrap(dm.ErrNotFound), 404, typeNotFound, "", ""},
		{wrap(dm.ErrConflict), 409, typeConflict, "", ""},
		{wrap(dm.ErrQueueFull), 429, typeQueueFull, "", ""},
		{wrap(server.ErrQueueFull), 429, typeQueueFull, "", ""},
		{wrap(server.ErrTimeout), 504, typeDeviceTimeout, "", ""},
		{wrap(context.DeadlineExceeded), 504, typeDeviceTimeout, "", ""},
		{wrap(server.ErrNotRegistered), 409, typeUnreachable, "", ""},
		{wrap(server.ErrNotConnected), 409, typeUnreachable, "", ""},
		{wrap(server.ErrDeviceAsleep), 409, typeUnreachable, "", ""},
		{wrap(server.ErrBadResponse), 502, typeBadResponse, "", ""},
		{wrap(server.ErrClosed), 503, typeUnavailable, "", ""},
		{wrap(dm.ErrNotImplemented), 501, typeNotImplemented, "", ""},
		{&http.MaxBytesError{Limit: 10}, 413, typeTooLarge, "", ""},
		{&commandEndedError{Command: models.Command{ID: 3, State: models.CommandExpired}}, 504, typeDeviceTimeout, "", ""},
		{&commandEndedError{Command: models.Command{ID: 3, State: models.CommandCancelled}}, 409, typeConflict, "", ""},
		{wrap(lwm2m.Errorf(lwm2m.CodeNotFound, "gone")), 404, typeDeviceError, "", "4.04"},
		{errors.New("disk on fire"), 500, typeInternal, "", ""},
	}
	for _, c := range cases {
		p := problemFor(c.err)
		if p.Status != c.status || p.Type != c.typ || p.Field != c.field || p.LwM2MCode != c.code {
			t.Errorf("%v: got %d %s field %q code %q, want %d %s field %q code %q",
				c.err, p.Status, p.Type, p.Field, p.LwM2MCode, c.status, c.typ, c.field, c.code)
		}
		if p.Title == "" || p.Detail == "" {
			t.Errorf("%v: empty title or detail: %+v", c.err, p)
		}
	}
	if p := problemFor(errors.New("password=hunter2")); strings.Contains(p.Detail, "hunter2") {
		t.Errorf("a 500 leaks its cause: %q", p.Detail)
	}
}

// TestDeviceCodes pins the LwM2M → HTTP table of the contract.
func TestDeviceCodes(t *testing.T) {
	for code, status := range map[lwm2m.Code]int{
		lwm2m.CodeBadRequest: 400, lwm2m.CodeUnauthorized: 403, lwm2m.CodeForbidden: 403, lwm2m.CodeNotFound: 404,
		lwm2m.CodeMethodNotAllowed: 405, lwm2m.CodeNotAcceptable: 406, lwm2m.CodeRequestEntityTooLarge: 413,
		lwm2m.CodeUnsupportedContentFormat: 415, lwm2m.CodeConflict: 409, lwm2m.CodePreconditionFailed: 412,
		lwm2m.CodeRequestEntityIncomplete: 400, lwm2m.CodeInternalServerError: 502,
		lwm2m.CodeServiceUnavailable: 502, lwm2m.CodeGatewayTimeout: 502,
	} {
		p := problemFor(&deviceError{Code: code, Reason: "because", CommandID: 9})
		if p.Status != status || p.Type != typeDeviceError || p.LwM2MCode != code.String() || p.CommandID != 9 {
			t.Errorf("%s: %+v, want status %d", code, p, status)
		}
		if !strings.Contains(p.Detail, "because") {
			t.Errorf("%s: detail %q lacks the device's reason", code, p.Detail)
		}
	}
}
