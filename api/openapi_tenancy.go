package api

// rolesText is the roles section of the document's description.
const rolesText = "Roles: an admin token does everything; an operator token everything but users, tokens and the audit log; " +
	"a customer token sees only its own customer's devices, assets, alarms, events and webhooks, and runs reads, observations, " +
	"writes and executes on its devices (not Create or Delete, nor objects 0, 1, 2 and 5). For a customer token another " +
	"customer's record does not exist: 404 with the same problem as a missing record, never 403. 403 means the role may not do it. " +
	"Every state-changing call (anything but GET) is written to the audit log (GET /api/v1/audit)."

// tenancyPaths describes customers, users, tokens, the audit log, assets
// and relations.
func tenancyPaths() obj {
	const v = "/api/v1"
	page := one(pCursor, pLimit)
	customer := one(inPath("customer", "customer name or id"))
	id := func(what string) []obj { return one(inPath("id", what+" id")) }
	return obj{
		v + "/customers": obj{
			"get": op("listCustomers", "List customers (a customer token: its own)", page, nil,
				problems("400").with("200", resp("a page of customers", pageOf("Customer")))),
			"post": op("createCustomer", "Create a customer (admin, operator)", nil, sref("CustomerBody"),
				problems("400", "409").with("201", resp("created (Location: its URL)", sref("Customer")))),
		},
		v + "/customers/{customer}": obj{
			"get": op("getCustomer", "Get a customer", customer, nil, problems("404").with("200", resp("the customer", sref("Customer")))),
			"patch": op("updateCustomer", "Rename or redescribe a customer (admin, operator)", customer, sref("CustomerBody"),
				problems("400", "404", "409").with("200", resp("the customer", sref("Customer")))),
			"delete": op("deleteCustomer", "Delete a customer that owns no devices, assets, users or tokens (admin, operator); its webhooks go with it",
				customer, nil, problems("404", "409").with("204", resp("deleted", nil))),
		},
		v + "/customers/{customer}/devices/{endpoint}": obj{
			"put": op("assignDevice", "Assign a device to the customer (admin, operator)", params(customer, one(pEndpoint)), nil,
				problems("404").with("200", resp("the device", sref("Device")))),
			"delete": op("unassignDevice", "Take a device away from the customer (admin, operator)", params(customer, one(pEndpoint)), nil,
				problems("404").with("200", resp("the device", sref("Device")))),
		},
		v + "/users": obj{
			"get": op("listUsers", "List users (admin)", params(one(inQuery("customer", "customer id")), page), nil,
				problems("400").with("200", resp("a page of users", pageOf("User")))),
			"post": op("createUser", "Create a user (admin)", nil, sref("UserBody"),
				problems("400", "409").with("201", resp("created (Location: its URL)", sref("User")))),
		},
		v + "/users/{id}": obj{
			"get": op("getUser", "Get a user (admin)", id("user"), nil, problems("404").with("200", resp("the user", sref("User")))),
			"patch": op("updateUser", "Change a user's name, role, customer or disabled flag (admin); its tokens follow at once", id("user"), sref("UserBody"),
				problems("400", "404").with("200", resp("the user", sref("User")))),
			"delete": op("deleteUser", "Delete a user and its tokens (admin)", id("user"), nil, problems("404").with("204", resp("deleted", nil))),
		},
		v + "/tokens": obj{
			"get": op("listTokens", "List API tokens, never their secrets (admin)", params(one(
				inQuery("user", "user id"), inQuery("customer", "customer id"), inQuery("revoked", "true: include revoked tokens")), page), nil,
				problems("400").with("200", resp("a page of tokens", pageOf("Token")))),
			"post": op("createToken", "Create an API token (admin); the secret is in this answer only", nil, sref("TokenCreate"),
				problems("400").with("201", resp("created (Location: its URL)", sref("CreatedToken")))),
		},
		v + "/tokens/{id}": obj{
			"get": op("getToken", "Get a token, without its secret (admin)", id("token"), nil, problems("404").with("200", resp("the token", sref("Token")))),
			"delete": op("revokeToken", "Revoke a token (admin): refused from the next request on", id("token"), nil,
				problems("404").with("204", resp("revoked", nil))),
		},
		v + "/audit": obj{"get": op("listAudit", "The audit log of state-changing calls, newest first (admin)", params(one(
			inQuery("token", "token id"), inQuery("customer", "customer id"), inQuery("outcome", "success or failure"),
			inQuery("from", "RFC 3339, Unix seconds, or a negative duration (-1h)"), inQuery("to", "RFC 3339, Unix seconds, or a negative duration")), page), nil,
			problems("400").with("200", resp("a page of entries", pageOf("AuditEntry"))))},
		v + "/assets": obj{
			"get": op("listAssets", "List assets (a customer token: its own)", params(one(inQuery("type", "asset type"),
				inQuery("customer", "customer id"), inQuery("label", "name=value; repeat for several")), page), nil,
				problems("400").with("200", resp("a page of assets", pageOf("Asset")))),
			"post": op("createAsset", "Create an asset (a customer token's assets are its own)", nil, sref("AssetBody"),
				problems("400", "404").with("201", resp("created (Location: its URL)", sref("Asset")))),
		},
		v + "/assets/{id}": obj{
			"get": op("getAsset", "Get an asset", id("asset"), nil, problems("404").with("200", resp("the asset", sref("Asset")))),
			"patch": op("updateAsset", "Change an asset (labels replace all; moving it to another customer: admin, operator)", id("asset"), sref("AssetBody"),
				problems("400", "404").with("200", resp("the asset", sref("Asset")))),
			"delete": op("deleteAsset", "Delete an asset and its relations", id("asset"), nil, problems("404").with("204", resp("deleted", nil))),
		},
		v + "/assets/{id}/devices": obj{"get": op("listAssetDevices", "The devices the asset contains, directly or through the assets it contains",
			params(id("asset"), one(inQuery("status", "online, asleep, offline or never"), inQuery("label", "name=value"), inQuery("search", "substring of endpoint or name")), page), nil,
			problems("400", "404").with("200", resp("a page of devices", pageOf("Device"))))},
		v + "/assets/{id}/relations": obj{"get": op("listAssetRelations", "The relations from and to the asset", id("asset"), nil,
			problems("404").with("200", resp("the relations", sref("RelationList"))))},
		v + "/devices/{endpoint}/relations": obj{"get": op("listDeviceRelations", "What the device is related to: the relations from and to it", one(pEndpoint), nil,
			problems("404").with("200", resp("the relations", sref("RelationList"))))},
		v + "/relations": obj{
			"post": op("createRelation", "Relate a device and an asset, or two assets; \"contains\" builds the asset hierarchy and a cycle is 400", nil, sref("RelationBody"),
				problems("400", "409").with("201", resp("created", sref("Relation")))),
			"delete": op("deleteRelation", "Delete a relation", one(inQuery("from", "asset:<id> or device:<endpoint>"),
				inQuery("to", "asset:<id> or device:<endpoint>"), inQuery("type", "relation type")), nil,
				problems("400", "404").with("204", resp("deleted", nil))),
		},
	}
}

// tenancySchemas describes the DTOs of customers.go, assets.go and
// audit.go.
func tenancySchemas() obj {
	labels := obj{"type": "object", "additionalProperties": obj{"type": "string"}}
	role := obj{"type": "string", "enum": []string{"admin", "operator", "customer"}}
	entity := object(obj{"kind": obj{"type": "string", "enum": []string{"device", "asset"}}, "id": integer(""),
		"name": str("the device's endpoint or the asset's name")}, "kind", "id")
	return obj{
		"Customer": object(obj{"id": integer(""), "name": str(""), "description": str(""), "created_at": timestamp(""),
			"updated_at": timestamp("")}, "id", "name", "created_at", "updated_at"),
		"CustomerBody": object(obj{"name": str("unique; not a number"), "description": str("")}),
		"User": object(obj{"id": integer(""), "email": str(""), "name": str(""), "role": role,
			"customer_id": integer("set for the customer role"), "disabled": boolean("its tokens are refused while set"),
			"created_at": timestamp(""), "updated_at": timestamp("")}, "id", "email", "role", "disabled", "created_at", "updated_at"),
		"UserBody": object(obj{"email": str("on create only"), "name": str(""), "role": role,
			"customer": str("customer name or id; the customer role needs one, the others have none"), "disabled": boolean("")}),
		"Token": object(obj{"id": integer(""), "name": str(""), "prefix": str("the secret's first characters, to tell tokens apart"),
			"role": role, "customer_id": integer(""), "user_id": integer(""), "expires_at": timestamp(""), "revoked": boolean(""),
			"revoked_at": timestamp(""), "last_used_at": timestamp(""), "created_at": timestamp("")},
			"id", "name", "prefix", "role", "revoked", "created_at"),
		"TokenCreate": object(obj{"name": str(""), "role": role, "customer": str("customer name or id, for the customer role"),
			"user_id":    integer("a user's token takes the user's role and customer, and follows them"),
			"expires_at": timestamp("when it stops working"), "expires_in": str("or a lifetime such as 720h")}, "name"),
		"CreatedToken": object(obj{"token": sref("Token"), "secret": str("the bearer token; shown this once")}, "token", "secret"),
		"AuditEntry": object(obj{"id": integer(""), "time": timestamp(""), "token_id": integer(""), "actor": str("who"),
			"role": role, "customer_id": integer(""), "operation": str("the route's operationId"), "method": str(""),
			"path": str(""), "status": integer("the HTTP status answered"), "outcome": obj{"type": "string", "enum": []string{"success", "failure"}},
			"detail": str("the problem's detail when the call failed")}, "id", "time", "actor", "operation", "method", "path", "status", "outcome"),
		"Asset": object(obj{"id": integer(""), "name": str(""), "type": str("site, building, floor, cabinet…"),
			"customer_id": integer(""), "labels": labels, "created_at": timestamp(""), "updated_at": timestamp("")},
			"id", "name", "created_at", "updated_at"),
		"AssetBody":    object(obj{"name": str("required on create"), "type": str(""), "customer": integer("customer id; 0 for none"), "labels": labels}),
		"Relation":     object(obj{"from": entity, "to": entity, "type": str(""), "created_at": timestamp("")}, "from", "to", "type"),
		"RelationList": object(obj{"items": array(sref("Relation"))}, "items"),
		"RelationBody": object(obj{"from": str("asset:<id> or device:<endpoint>"), "to": str("asset:<id> or device:<endpoint>"),
			"type": str("a-z, 0-9, '-', '_', '.'; \"contains\" builds the asset hierarchy")}, "from", "to", "type"),
	}
}
