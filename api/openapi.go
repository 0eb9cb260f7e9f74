package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
)

// The OpenAPI 3 document is written as Go data in openapi_*.go, by hand,
// independently of the router: TestOpenAPIMatchesRoutes walks both and
// fails on any route, method or operationId one has and the other lacks.

type obj = map[string]any

// openAPIDoc is built once; the document never changes at run time.
var openAPIDoc = sync.OnceValue(func() []byte {
	doc := obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":       "Shoal REST API",
			"version":     "1",
			"description": "Device management for LwM2M fleets. Every route but /healthz needs \"Authorization: Bearer <token>\". Errors are RFC 9457 problem documents; a device's own error answer has type urn:shoal:problem:device-error and carries lwm2m_code.\n\n" + rolesText + "\n\n" + webhookText,
		},
		"servers":    []obj{{"url": "/"}},
		"security":   []obj{{"bearer": []string{}}},
		"paths":      merge(openAPIPaths(), tenancyPaths(), alarmPaths(), objectPaths(), bootstrapPaths(), firmwarePaths()),
		"components": obj{"schemas": merge(openAPISchemas(), tenancySchemas(), alarmSchemas(), objectSchemas(), bootstrapSchemas(), firmwareSchemas()), "securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer"}}},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic("api: the OpenAPI document does not marshal: " + err.Error())
	}
	return b
})

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(openAPIDoc())
	return err
}

// Helpers that keep the document terse.

// merge joins path or schema maps; a key defined twice is a programming
// error the consistency test would not see, so it panics.
func merge(ms ...obj) obj {
	out := obj{}
	for _, m := range ms {
		for k, v := range m {
			if _, dup := out[k]; dup {
				panic("api: OpenAPI key defined twice: " + k)
			}
			out[k] = v
		}
	}
	return out
}

func sref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func str(desc string) obj { return obj{"type": "string", "description": desc} }

func integer(desc string) obj { return obj{"type": "integer", "format": "int64", "description": desc} }

func boolean(desc string) obj { return obj{"type": "boolean", "description": desc} }

func array(items obj) obj { return obj{"type": "array", "items": items} }

func timestamp(desc string) obj {
	return obj{"type": "string", "format": "date-time", "description": desc}
}

// object builds an object schema; required lists mandatory members.
func object(props obj, required ...string) obj {
	o := obj{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// pageOf is the list shape {"items", "total", "next"}.
func pageOf(item string) obj {
	return object(obj{
		"items": array(sref(item)),
		"total": integer("records matching the filter, over all pages"),
		"next":  str("cursor of the next page; empty on the last"),
	}, "items", "total", "next")
}

func inPath(name, desc string) obj {
	return obj{"name": name, "in": "path", "required": true, "description": desc, "schema": obj{"type": "string"}}
}

func inQuery(name, desc string) obj {
	return obj{"name": name, "in": "query", "description": desc, "schema": obj{"type": "string"}}
}

func inHeader(name, desc string) obj {
	return obj{"name": name, "in": "header", "description": desc, "schema": obj{"type": "string"}}
}

var (
	pEndpoint = inPath("endpoint", "the device's LwM2M endpoint name")
	pPath     = inPath("path", "an LwM2M path without its leading slash, e.g. 3/0/9 (slashes stay unescaped)")
	pCursor   = inQuery("cursor", "the next value of the previous page")
	pLimit    = inQuery("limit", "page size, 1..1000 (default 100)")
	opParams  = []obj{
		inQuery("format", "content format to ask for or write in: tlv, senml-json, senml-cbor, lwm2m-json, lwm2m-cbor, text, opaque, cbor"),
		inQuery("timeout", "how long the device has to answer once the request is sent (e.g. 10s)"),
		inQuery("wait", "how long to wait for the answer of a queued command; without it a sleeping or offline device answers 202 at once"),
		inQuery("queue", "true: always queue durably; false: never queue (a device that cannot be reached is an error)"),
		inQuery("expiry", "lifetime of a queued command (e.g. 1h)"),
		inQuery("attempts", "delivery attempts of a queued command"),
	}
)

// responses collects the responses of an operation.
type responses obj

func resp(desc string, schema obj) obj {
	r := obj{"description": desc}
	if schema != nil {
		r["content"] = obj{"application/json": obj{"schema": schema}}
	}
	return r
}

func problems(codes ...string) responses {
	r := responses{"401": resp("no or bad bearer token", nil),
		"403": obj{"description": problemText["403"], "content": obj{"application/problem+json": obj{"schema": sref("Problem")}}},
		"default": obj{"description": "an error",
			"content": obj{"application/problem+json": obj{"schema": sref("Problem")}}}}
	for _, c := range codes {
		r[c] = obj{"description": problemText[c], "content": obj{"application/problem+json": obj{"schema": sref("Problem")}}}
	}
	return r
}

var problemText = map[string]string{
	"400": "invalid input; field names the member, parameter or route variable",
	"403": "the token's role may not do this (a customer token gets 404 for another customer's records, never 403)",
	"404": "no such record (or one of another customer), or the device answered 4.04",
	"409": "conflict, or a device that cannot be reached when queuing was refused",
	"413": "body too large",
	"415": "unsupported media type",
	"429": "the device's command queue is full",
	"502": "the device answered 5.xx or something undecodable",
	"504": "the device did not answer in time",
}

// op builds an operation; body is the request body schema (nil: none).
func op(id, summary string, params []obj, body obj, ok responses) obj {
	o := obj{"operationId": id, "summary": summary, "responses": obj(ok)}
	if len(params) > 0 {
		o["parameters"] = params
	}
	if body != nil {
		o["requestBody"] = obj{"required": true, "content": obj{"application/json": obj{"schema": body}}}
	}
	return o
}

// with merges success responses into a problems set.
func (r responses) with(code string, v obj) responses {
	r[code] = v
	return r
}

func params(groups ...[]obj) []obj {
	var out []obj
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func one(ps ...obj) []obj { return ps }

// lwm2mOpResponses are the answers of an LwM2M operation route.
func lwm2mOpResponses(okCode string) responses {
	return problems("400", "404", "409", "429", "502", "504").
		with(okCode, resp("the device's answer", sref("Result"))).
		with("202", resp("the device sleeps or is offline: the command is queued (Location: its URL)", sref("Command")))
}

// normalizeTemplate turns a mux template into an OpenAPI path:
// "{path:.*}" becomes "{path}".
func normalizeTemplate(t string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			b.WriteString(t)
			return b.String()
		}
		j := strings.IndexByte(t[i:], '}')
		if j < 0 {
			b.WriteString(t)
			return b.String()
		}
		name, _, _ := strings.Cut(t[i+1:i+j], ":")
		b.WriteString(t[:i] + "{" + name + "}")
		t = t[i+j+1:]
	}
}
