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

// alarmRoutes are alarms, alarm rules and webhook channels.
func (s *Server) alarmRoutes(add addFunc) {
	add(http.MethodGet, "/alarms", "listAlarms", s.listAlarms)
	add(http.MethodGet, "/alarms/{id}", "getAlarm", s.getAlarm)
	add(http.MethodPost, "/alarms/{id}/ack", "acknowledgeAlarm", s.ackAlarm)
	add(http.MethodPost, "/alarms/{id}/clear", "clearAlarm", s.clearAlarm)

	add(http.MethodGet, "/alarm-rules", "listAlarmRules", s.listAlarmRules)
	add(http.MethodPost, "/alarm-rules", "createAlarmRule", s.createAlarmRule)
	add(http.MethodGet, "/alarm-rules/{id}", "getAlarmRule", s.getAlarmRule)
	add(http.MethodPut, "/alarm-rules/{id}", "updateAlarmRule", s.updateAlarmRule)
	add(http.MethodDelete, "/alarm-rules/{id}", "deleteAlarmRule", s.deleteAlarmRule)

	add(http.MethodGet, "/webhooks", "listWebhooks", s.listWebhooks)
	add(http.MethodPost, "/webhooks", "createWebhook", s.createWebhook)
	add(http.MethodGet, "/webhooks/{id}", "getWebhook", s.getWebhook)
	add(http.MethodPatch, "/webhooks/{id}", "updateWebhook", s.updateWebhook)
	add(http.MethodDelete, "/webhooks/{id}", "deleteWebhook", s.deleteWebhook)
	add(http.MethodGet, "/webhooks/{id}/deliveries", "listWebhookDeliveries", s.listDeliveries)
}
