package api

import "net/http"

// bootstrapRoutes are issue 8's routes: bootstrap configurations,
// accounts, factory credentials, sessions and triggers, the credential
// lifecycle of a device, and Shoal's CA certificate.
func (s *Server) bootstrapRoutes(add addFunc) {
	add(http.MethodGet, "/bootstrap/configs", "listBootstrapConfigs", s.listBootstrapConfigs)
	add(http.MethodPost, "/bootstrap/configs", "createBootstrapConfig", s.createBootstrapConfig)
	add(http.MethodGet, "/bootstrap/configs/{config}", "getBootstrapConfig", s.getBootstrapConfig)
	add(http.MethodPut, "/bootstrap/configs/{config}", "updateBootstrapConfig", s.updateBootstrapConfig)
	add(http.MethodDelete, "/bootstrap/configs/{config}", "deleteBootstrapConfig", s.deleteBootstrapConfig)

	add(http.MethodGet, "/bootstrap/accounts", "listBootstrapAccounts", s.listBootstrapAccounts)
	add(http.MethodPost, "/bootstrap/accounts", "createBootstrapAccount", s.createBootstrapAccount)
	add(http.MethodGet, "/bootstrap/accounts/{account}", "getBootstrapAccount", s.getBootstrapAccount)
	add(http.MethodPut, "/bootstrap/accounts/{account}", "updateBootstrapAccount", s.updateBootstrapAccount)
	add(http.MethodDelete, "/bootstrap/accounts/{account}", "deleteBootstrapAccount", s.deleteBootstrapAccount)

	add(http.MethodGet, "/bootstrap/factory-credentials", "listFactoryCredentials", s.listFactoryCredentials)
	add(http.MethodPost, "/bootstrap/factory-credentials", "createFactoryCredential", s.createFactoryCredential)
	add(http.MethodDelete, "/bootstrap/factory-credentials/{id}", "revokeFactoryCredential", s.revokeFactoryCredential)

	add(http.MethodGet, "/bootstrap/sessions", "listBootstrapSessions", s.listBootstrapSessions)
	add(http.MethodPost, "/bootstrap/trigger", "triggerBootstrapSelection", s.triggerBootstrapSelection)
	add(http.MethodPost, "/devices/{endpoint}/bootstrap", "triggerBootstrap", s.triggerBootstrap)
	add(http.MethodGet, "/devices/{endpoint}/bootstrap/sessions", "listDeviceBootstrapSessions", s.listDeviceBootstrapSessions)
	add(http.MethodDelete, "/devices/{endpoint}/bootstrap/binding", "unbindDevice", s.unbindDevice)

	add(http.MethodGet, "/devices/{endpoint}/credentials", "listCredentials", s.listCredentials)
	add(http.MethodPost, "/devices/{endpoint}/credentials/rotate", "rotateCredentials", s.rotateCredentials)
	add(http.MethodDelete, "/devices/{endpoint}/credentials/{id}", "revokeCredential", s.revokeCredential)

	add(http.MethodGet, "/ca/certificate", "getCACertificate", s.caCertificate)
	add(http.MethodPost, "/ca", "initCA", s.initCA)
}
