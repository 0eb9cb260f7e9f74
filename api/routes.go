package api

import (
	"net/http"

	"github.com/gorilla/mux"
)

// handlerFunc is a handler that returns its error; h renders it as a
// problem document.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) h(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			s.writeProblem(w, r, err)
		}
	})
}

// V1 is the prefix of every API route.
const V1 = "/api/v1"

// lwm2mPath matches the LwM2M path after a route prefix ("3/0/1").
const lwm2mPath = "{path:.*}"

// routes builds the router. Every route is named by its OpenAPI
// operationId; TestOpenAPIMatchesRoutes holds the two together.
func (s *Server) routes() *mux.Router {
	r := mux.NewRouter()
	r.StrictSlash(false)
	r.Use(s.instrument)
	r.NotFoundHandler = s.unmatched(&httpError{http.StatusNotFound, typeNoRoute, "no such route"})
	r.MethodNotAllowedHandler = s.unmatched(&httpError{http.StatusMethodNotAllowed, typeMethod, "method not allowed on this route"})

	r.Handle("/healthz", s.h(s.healthz)).Methods(http.MethodGet).Name("health")
	metrics := s.metricsHandler()
	if !s.cfg.PublicMetrics {
		metrics = s.authenticate(s.fleetOnly("reading metrics", metrics))
	}
	r.Handle("/metrics", metrics).Methods(http.MethodGet).Name("metrics")
	s.packageRoutes(r)

	// No subrouter: gorilla/mux answers 404 instead of 405 for a method
	// mismatch inside one, so every route is registered on the root and
	// authenticated on its own.
	add := func(method, path, name string, fn handlerFunc) {
		r.Handle(V1+path, s.authenticate(s.audited(name, s.h(fn)))).Methods(method).Name(name)
	}
	add(http.MethodGet, "/openapi.json", "getOpenAPI", s.openAPI)

	add(http.MethodGet, "/devices", "listDevices", s.listDevices)
	add(http.MethodPost, "/devices", "createDevice", s.createDevice)
	add(http.MethodPost, "/devices/import", "importDevices", s.importDevices)
	add(http.MethodGet, "/devices/{endpoint}", "getDevice", s.getDevice)
	add(http.MethodPatch, "/devices/{endpoint}", "updateDevice", s.updateDevice)
	add(http.MethodDelete, "/devices/{endpoint}", "deleteDevice", s.deleteDevice)

	ops := "/devices/{endpoint}/lwm2m/" + lwm2mPath
	add(http.MethodGet, ops, "read", s.read)
	add(http.MethodPut, ops, "write", s.write)
	add(http.MethodPatch, ops, "writeUpdate", s.writeUpdate)
	add(http.MethodPost, ops, "executeOrCreate", s.executeOrCreate)
	add(http.MethodDelete, ops, "deleteInstance", s.deleteInstance)
	add(http.MethodPost, "/devices/{endpoint}/observe/"+lwm2mPath, "observe", s.observeOp)
	add(http.MethodDelete, "/devices/{endpoint}/observe/"+lwm2mPath, "cancelObserve", s.cancelObserve)
	add(http.MethodPut, "/devices/{endpoint}/attributes/"+lwm2mPath, "writeAttributes", s.writeAttributes)
	add(http.MethodGet, "/devices/{endpoint}/discover/"+lwm2mPath, "discover", s.discover)
	add(http.MethodGet, "/devices/{endpoint}/composite", "readComposite", s.readComposite)
	add(http.MethodPatch, "/devices/{endpoint}/composite", "writeComposite", s.writeComposite)
	add(http.MethodPost, "/devices/{endpoint}/composite/observe", "observeComposite", s.observeComposite)
	add(http.MethodDelete, "/devices/{endpoint}/composite/observe", "cancelObserveComposite", s.cancelObserveComposite)

	add(http.MethodGet, "/devices/{endpoint}/commands", "listDeviceCommands", s.listDeviceCommands)
	add(http.MethodPost, "/devices/{endpoint}/commands", "sendCommand", s.sendCommand)
	add(http.MethodGet, "/commands", "listCommands", s.listCommands)
	add(http.MethodPost, "/commands", "sendSelectionCommand", s.sendSelectionCommand)
	add(http.MethodGet, "/commands/{id}", "getCommand", s.getCommand)
	add(http.MethodDelete, "/commands/{id}", "cancelCommand", s.cancelCommand)

	add(http.MethodGet, "/devices/{endpoint}/telemetry", "getTelemetry", s.telemetry)
	add(http.MethodGet, "/devices/{endpoint}/attributes", "getAttributes", s.attributes)
	add(http.MethodGet, "/devices/{endpoint}/events", "listDeviceEvents", s.deviceEvents)
	add(http.MethodGet, "/events", "events", s.events)

	add(http.MethodGet, "/profiles", "listProfiles", s.listProfiles)
	add(http.MethodPost, "/profiles", "createProfile", s.createProfile)
	add(http.MethodGet, "/profiles/{profile}", "getProfile", s.getProfile)
	add(http.MethodPut, "/profiles/{profile}", "updateProfile", s.updateProfile)
	add(http.MethodDelete, "/profiles/{profile}", "deleteProfile", s.deleteProfile)

	s.tenancyRoutes(add)
	s.bootstrapRoutes(add)
	s.firmwareRoutes(add)
	s.alarmRoutes(add)

	add(http.MethodGet, "/objects", "listObjects", s.listObjects)
	add(http.MethodGet, "/objects/{id}", "getObject", s.getObject)
	return r
}

// unmatched answers requests no route takes, timed under "unmatched".
func (s *Server) unmatched(err *httpError) http.Handler {
	h := s.h(func(http.ResponseWriter, *http.Request) error { return err })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.observe("unmatched", h, w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
