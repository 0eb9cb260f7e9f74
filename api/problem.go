package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/lwm2m/codec"
	"github.com/shoal-iot/shoal/lwm2m/server"
	"github.com/shoal-iot/shoal/models"
)

// Problem types. "device-error" is what a device answered; every other
// type is what Shoal says.
const (
	problemBase        = "urn:shoal:problem:"
	typeInvalid        = problemBase + "invalid-input"
	typeUnauthorized   = problemBase + "unauthorized"
	typeForbidden      = problemBase + "forbidden"
	typeNotFound       = problemBase + "not-found"
	typeNoRoute        = problemBase + "no-such-route"
	typeMethod         = problemBase + "method-not-allowed"
	typeConflict       = problemBase + "conflict"
	typeUnreachable    = problemBase + "device-unreachable"
	typeTooLarge       = problemBase + "payload-too-large"
	typeMediaType      = problemBase + "unsupported-media-type"
	typeQueueFull      = problemBase + "queue-full"
	typeDeviceError    = problemBase + "device-error"
	typeDeviceTimeout  = problemBase + "device-timeout"
	typeBadResponse    = problemBase + "bad-device-response"
	typeUnavailable    = problemBase + "unavailable"
	typeNotImplemented = problemBase + "not-implemented"
	typeInternal       = problemBase + "internal"
)

// problem is an RFC 9457 problem document with Shoal's extension members.
type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Field names the request member, query parameter or route variable
	// that is wrong; Path the LwM2M path concerned.
	Field string `json:"field,omitempty"`
	Path  string `json:"path,omitempty"`
	// LwM2MCode is the device's answer ("4.04") on a device-error.
	LwM2MCode string `json:"lwm2m_code,omitempty"`
	// CommandID is the stored command a device-error answered, if any.
	CommandID int64 `json:"command_id,omitempty"`
}

// deviceError is a device's error answer to an operation.
type deviceError struct {
	Code      lwm2m.Code
	Reason    string
	CommandID int64
}

func (e *deviceError) Error() string {
	s := "device answered " + e.Code.String()
	if t := e.Code.Text(); t != "" {
		s += " " + t
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// commandEndedError: a queued command the caller waited for ended without
// an answer (expired, failed delivery, cancelled).
type commandEndedError struct {
	Command models.Command
}

func (e *commandEndedError) Error() string {
	s := fmt.Sprintf("command %d %s without an answer from the device", e.Command.ID, e.Command.State)
	if e.Command.Error != "" {
		s += ": " + e.Command.Error
	}
	return s
}

// httpError is a plain HTTP-level refusal (method, media type, size).
type httpError struct {
	Status int
	Type   string
	Msg    string
}

func (e *httpError) Error() string { return e.Msg }

// problemFor is the one place where an error becomes an HTTP status and a
// problem document. Everything a handler returns goes through it.
func problemFor(err error) problem {
	var (
		fe  *fieldError
		de  *deviceError
		he  *httpError
		st  *lwm2m.Status
		mbe *http.MaxBytesError
		ce  *commandEndedError
	)
	p := func(status int, typ, title string) problem {
		return problem{Type: typ, Title: title, Status: status, Detail: err.Error()}
	}
	switch {
	case errors.As(err, &fe):
		pr := p(http.StatusBadRequest, typeInvalid, "Invalid input")
		pr.Field, pr.Path = fe.Field, fe.Path
		return pr
	case errors.As(err, &he):
		return p(he.Status, he.Type, http.StatusText(he.Status))
	case errors.As(err, &mbe):
		pr := p(http.StatusRequestEntityTooLarge, typeTooLarge, "Payload too large")
		pr.Detail = "the request body exceeds " + strconv.FormatInt(mbe.Limit, 10) + " bytes"
		return pr
	case errors.As(err, &de):
		pr := p(deviceStatus(de.Code), typeDeviceError, deviceTitle(de.Code))
		pr.LwM2MCode, pr.CommandID, pr.Detail = de.Code.String(), de.CommandID, reasonOrNone(de.Reason)
		return pr
	case errors.As(err, &ce):
		status, typ, title := http.StatusGatewayTimeout, typeDeviceTimeout, "Device did not answer in time"
		if ce.Command.State == models.CommandCancelled {
			status, typ, title = http.StatusConflict, typeConflict, "Command cancelled"
		}
		pr := p(status, typ, title)
		pr.CommandID = ce.Command.ID
		return pr
	case errors.Is(err, dm.ErrUnauthorized):
		return p(http.StatusUnauthorized, typeUnauthorized, "Unauthorized")
	case errors.Is(err, dm.ErrForbidden):
		return p(http.StatusForbidden, typeForbidden, "Forbidden")
	case errors.Is(err, dm.ErrNotFound):
		return p(http.StatusNotFound, typeNotFound, "Not found")
	case errors.Is(err, dm.ErrInvalid), errors.Is(err, server.ErrInvalidRequest),
		errors.Is(err, lwm2m.ErrInvalidPath), errors.Is(err, lwm2m.ErrInvalidValue),
		errors.Is(err, lwm2m.ErrInvalidNode), errors.Is(err, codec.ErrNotRepresentable),
		errors.Is(err, codec.ErrUnsupportedFormat):
		pr := p(http.StatusBadRequest, typeInvalid, "Invalid input")
		pr.Field = guessField(err)
		// The title says it is invalid; dm's "invalid: " need not repeat it.
		pr.Detail = strings.Replace(pr.Detail, dm.ErrInvalid.Error()+": ", "", 1)
		return pr
	case errors.Is(err, dm.ErrConflict):
		return p(http.StatusConflict, typeConflict, "Conflict")
	case errors.Is(err, dm.ErrQueueFull), errors.Is(err, server.ErrQueueFull):
		return p(http.StatusTooManyRequests, typeQueueFull, "Command queue full")
	case errors.Is(err, server.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return p(http.StatusGatewayTimeout, typeDeviceTimeout, "Device did not answer in time")
	case errors.Is(err, server.ErrNotRegistered), errors.Is(err, server.ErrNotConnected),
		errors.Is(err, server.ErrDeviceAsleep):
		return p(http.StatusConflict, typeUnreachable, "Device unreachable")
	case errors.Is(err, server.ErrBadResponse):
		return p(http.StatusBadGateway, typeBadResponse, "Undecodable device answer")
	case errors.Is(err, server.ErrClosed), errors.Is(err, context.Canceled):
		return p(http.StatusServiceUnavailable, typeUnavailable, "Service unavailable")
	case errors.Is(err, dm.ErrNotImplemented):
		return p(http.StatusNotImplemented, typeNotImplemented, "Not implemented")
	case errors.As(err, &st):
		pr := p(deviceStatus(st.Code), typeDeviceError, deviceTitle(st.Code))
		pr.LwM2MCode, pr.Detail = st.Code.String(), reasonOrNone(st.Reason)
		return pr
	}
	pr := p(http.StatusInternalServerError, typeInternal, "Internal server error")
	pr.Detail = "the server failed; the error is logged"
	return pr
}

// deviceTitle is the title of a device-error problem: "Device answered
// 4.04 Not Found".
func deviceTitle(c lwm2m.Code) string {
	return strings.TrimSpace("Device answered " + c.String() + " " + c.Text())
}

// reasonOrNone is the device's diagnostic payload, or says there was none.
func reasonOrNone(r string) string {
	if r = strings.TrimSpace(r); r != "" {
		return r
	}
	return "the device gave no reason"
}

// deviceStatus maps a device's LwM2M error code to an HTTP status.
func deviceStatus(c lwm2m.Code) int {
	switch c {
	case lwm2m.CodeBadRequest, lwm2m.CodeBadOption, lwm2m.CodeRequestEntityIncomplete:
		return http.StatusBadRequest
	case lwm2m.CodeUnauthorized, lwm2m.CodeForbidden:
		return http.StatusForbidden
	case lwm2m.CodeNotFound:
		return http.StatusNotFound
	case lwm2m.CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case lwm2m.CodeNotAcceptable:
		return http.StatusNotAcceptable
	case lwm2m.CodeConflict:
		return http.StatusConflict
	case lwm2m.CodePreconditionFailed:
		return http.StatusPreconditionFailed
	case lwm2m.CodeRequestEntityTooLarge:
		return http.StatusRequestEntityTooLarge
	case lwm2m.CodeUnsupportedContentFormat:
		return http.StatusUnsupportedMediaType
	}
	if c.Class() == 4 {
		return http.StatusBadRequest
	}
	return http.StatusBadGateway
}

// guessField names the input an error from below is about: dm writes
// "invalid: <field>: why", and the lwm2m sentinels make the rest plain.
func guessField(err error) string {
	if f := dmField(err.Error()); f != "" {
		return f
	}
	switch {
	case errors.Is(err, lwm2m.ErrInvalidPath):
		return "path"
	case errors.Is(err, codec.ErrUnsupportedFormat), errors.Is(err, codec.ErrNotRepresentable):
		return "format"
	case errors.Is(err, lwm2m.ErrInvalidValue), errors.Is(err, lwm2m.ErrInvalidNode):
		return "value"
	}
	return ""
}

// writeProblem renders err as application/problem+json.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	pr := problemFor(err)
	pr.Instance = r.URL.Path
	noteProblem(r, pr.Detail)
	ev := s.log.Debug()
	if pr.Status >= 500 {
		ev = s.log.Error()
	}
	if who, ok := principal(r); ok {
		ev = ev.Int64("token_id", who.TokenID)
	}
	ev.Err(err).Str("method", r.Method).Str("path", r.URL.Path).Int("status", pr.Status).Msg("api: request failed")
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	if pr.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="shoal"`)
	}
	w.WriteHeader(pr.Status)
	_ = json.NewEncoder(w).Encode(pr)
}

// dmField extracts <field> from "…invalid: <field>: why".
func dmField(msg string) string {
	prefix := dm.ErrInvalid.Error() + ": "
	i := strings.Index(msg, prefix)
	if i < 0 {
		return ""
	}
	f, _, ok := strings.Cut(msg[i+len(prefix):], ": ")
	if !ok || f == "" || len(f) > 64 || strings.ContainsAny(f, " \t\"'/") {
		return ""
	}
	return f
}
