package api

import "net/http"

// addFunc registers one authenticated, audited route.
type addFunc func(method, path, name string, fn handlerFunc)

// tenancyRoutes are issue 6's routes: customers, users, tokens, the audit
// log, assets and relations.
func (s *Server) tenancyRoutes(add addFunc) {
	add(http.MethodGet, "/customers", "listCustomers", s.listCustomers)
	add(http.MethodPost, "/customers", "createCustomer", s.createCustomer)
	add(http.MethodGet, "/customers/{customer}", "getCustomer", s.getCustomer)
	add(http.MethodPatch, "/customers/{customer}", "updateCustomer", s.updateCustomer)
	add(http.MethodDelete, "/customers/{customer}", "deleteCustomer", s.deleteCustomer)
	add(http.MethodPut, "/customers/{customer}/devices/{endpoint}", "assignDevice", s.assignDevice)
	add(http.MethodDelete, "/customers/{customer}/devices/{endpoint}", "unassignDevice", s.unassignDevice)

	add(http.MethodGet, "/users", "listUsers", s.listUsers)
	add(http.MethodPost, "/users", "createUser", s.createUser)
	add(http.MethodGet, "/users/{id}", "getUser", s.getUser)
	add(http.MethodPatch, "/users/{id}", "updateUser", s.updateUser)
	add(http.MethodDelete, "/users/{id}", "deleteUser", s.deleteUser)

	add(http.MethodGet, "/tokens", "listTokens", s.listTokens)
	add(http.MethodPost, "/tokens", "createToken", s.createToken)
	add(http.MethodGet, "/tokens/{id}", "getToken", s.getToken)
	add(http.MethodDelete, "/tokens/{id}", "revokeToken", s.revokeToken)

	add(http.MethodGet, "/audit", "listAudit", s.listAudit)

	add(http.MethodGet, "/assets", "listAssets", s.listAssets)
	add(http.MethodPost, "/assets", "createAsset", s.createAsset)
	add(http.MethodGet, "/assets/{id}", "getAsset", s.getAsset)
	add(http.MethodPatch, "/assets/{id}", "updateAsset", s.updateAsset)
	add(http.MethodDelete, "/assets/{id}", "deleteAsset", s.deleteAsset)
	add(http.MethodGet, "/assets/{id}/devices", "listAssetDevices", s.assetDevices)
	add(http.MethodGet, "/assets/{id}/relations", "listAssetRelations", s.assetRelations)
	add(http.MethodGet, "/devices/{endpoint}/relations", "listDeviceRelations", s.deviceRelations)
	add(http.MethodPost, "/relations", "createRelation", s.createRelation)
	add(http.MethodDelete, "/relations", "deleteRelation", s.deleteRelation)
}
