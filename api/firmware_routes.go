package api

import (
	"net/http"

	"github.com/gorilla/mux"
)

// firmwareRoutes are issue 7's routes: firmware images, campaigns and a
// device's firmware jobs. Images and campaigns are the fleet's business
// (dm refuses customers with 403); a customer reads its own device's jobs.
func (s *Server) firmwareRoutes(add addFunc) {
	add(http.MethodGet, "/firmware", "listFirmware", s.listFirmware)
	add(http.MethodPost, "/firmware", "uploadFirmware", s.uploadFirmware)
	add(http.MethodGet, "/firmware/{id}", "getFirmware", s.getFirmware)
	add(http.MethodGet, "/firmware/{id}/content", "downloadFirmware", s.downloadFirmware)
	add(http.MethodDelete, "/firmware/{id}", "deleteFirmware", s.deleteFirmware)

	add(http.MethodGet, "/campaigns", "listCampaigns", s.listCampaigns)
	add(http.MethodPost, "/campaigns", "createCampaign", s.createCampaign)
	add(http.MethodGet, "/campaigns/{id}", "getCampaign", s.getCampaign)
	add(http.MethodDelete, "/campaigns/{id}", "deleteCampaign", s.deleteCampaign)
	add(http.MethodGet, "/campaigns/{id}/devices", "listCampaignDevices", s.listCampaignDevices)
	add(http.MethodPost, "/campaigns/{id}/start", "startCampaign", s.startCampaign)
	add(http.MethodPost, "/campaigns/{id}/pause", "pauseCampaign", s.pauseCampaign)
	add(http.MethodPost, "/campaigns/{id}/resume", "resumeCampaign", s.resumeCampaign)
	add(http.MethodPost, "/campaigns/{id}/cancel", "cancelCampaign", s.cancelCampaign)

	add(http.MethodGet, "/devices/{endpoint}/firmware", "getDeviceFirmware", s.deviceFirmware)
}

// PackagePath is where devices pull firmware packages over HTTP(S) on the
// API port: PackagePath + token. It is outside /api/v1 and takes no
// bearer token; the one-time token in the URI is the credential.
const PackagePath = "/fw/"

// packageRoutes registers the HTTP pull of firmware packages on the root
// router, unauthenticated.
func (s *Server) packageRoutes(r *mux.Router) {
	tpl := PackagePath + "{token}"
	r.Handle(tpl, s.h(s.servePackage)).Methods(http.MethodGet).Name("downloadPackage")
	r.Handle(tpl, s.h(s.servePackage)).Methods(http.MethodHead).Name("headPackage")
}
