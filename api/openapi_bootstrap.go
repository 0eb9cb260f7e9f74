package api

// bootstrapPaths describes bootstrap configurations, accounts, factory
// credentials, sessions and triggers, a device's credential lifecycle and
// the CA certificate.
func bootstrapPaths() obj {
	const v = "/api/v1"
	page := one(pCursor, pLimit)
	config := one(inPath("config", "configuration name or id"))
	account := one(inPath("account", "bootstrap account name or id"))
	id := func(what string) []obj { return one(inPath("id", what+" id")) }
	fleet := " (admin, operator)"
	return obj{
		v + "/bootstrap/configs": obj{
			"get": op("listBootstrapConfigs", "List bootstrap configurations"+fleet, page, nil,
				problems("400").with("200", resp("a page of configurations", pageOf("BootstrapConfig")))),
			"post": op("createBootstrapConfig", "Create a bootstrap configuration for a device, a profile, a bootstrap account or the default"+fleet,
				nil, sref("BootstrapConfigBody"), problems("400", "409").with("201", resp("created (Location: its URL)", sref("BootstrapConfig")))),
		},
		v + "/bootstrap/configs/{config}": obj{
			"get": op("getBootstrapConfig", "Get a bootstrap configuration"+fleet, config, nil,
				problems("404").with("200", resp("the configuration", sref("BootstrapConfig")))),
			"put": op("updateBootstrapConfig", "Replace a bootstrap configuration"+fleet, config, sref("BootstrapConfigBody"),
				problems("400", "404", "409").with("200", resp("the configuration", sref("BootstrapConfig")))),
			"delete": op("deleteBootstrapConfig", "Delete a bootstrap configuration"+fleet, config, nil,
				problems("404").with("204", resp("deleted", nil))),
		},
		v + "/bootstrap/accounts": obj{
			"get": op("listBootstrapAccounts", "List bootstrap accounts (device batches)"+fleet, page, nil,
				problems("400").with("200", resp("a page of accounts", pageOf("BootstrapAccount")))),
			"post": op("createBootstrapAccount", "Create a bootstrap account; with auto_provision an unknown endpoint with valid factory credentials of the account is created under its profile and customer"+fleet,
				nil, sref("BootstrapAccountBody"), problems("400", "409").with("201", resp("created (Location: its URL)", sref("BootstrapAccount")))),
		},
		v + "/bootstrap/accounts/{account}": obj{
			"get": op("getBootstrapAccount", "Get a bootstrap account"+fleet, account, nil,
				problems("404").with("200", resp("the account", sref("BootstrapAccount")))),
			"put": op("updateBootstrapAccount", "Replace a bootstrap account's settings"+fleet, account, sref("BootstrapAccountBody"),
				problems("400", "404", "409").with("200", resp("the account", sref("BootstrapAccount")))),
			"delete": op("deleteBootstrapAccount", "Delete a bootstrap account with its factory credentials"+fleet, account, nil,
				problems("404").with("204", resp("deleted", nil))),
		},
		v + "/bootstrap/factory-credentials": obj{
			"get": op("listFactoryCredentials", "List factory (bootstrap) credentials, never their keys"+fleet,
				params(one(inQuery("account", "bootstrap account id"), inQuery("device", "device id")), page), nil,
				problems("400").with("200", resp("a page of factory credentials", pageOf("FactoryCredential")))),
			"post": op("createFactoryCredential", "Create a factory credential for a device or a batch; a generated key is in this answer only"+fleet,
				nil, sref("FactoryCredentialBody"), problems("400", "409").with("201", resp("created (Location: its URL)", sref("CreatedFactoryCredential")))),
		},
		v + "/bootstrap/factory-credentials/{id}": obj{
			"delete": op("revokeFactoryCredential", "Revoke a factory credential: the next bootstrap handshake with it fails"+fleet,
				id("factory credential"), nil, problems("404").with("200", resp("the revoked credential", sref("FactoryCredential")))),
		},
		v + "/bootstrap/sessions": obj{
			"get": op("listBootstrapSessions", "List bootstrap sessions, newest first"+fleet,
				params(one(inQuery("device", "endpoint"), inQuery("state", "running, finished or failed; repeat or comma-separate")), page), nil,
				problems("400", "404").with("200", resp("a page of sessions", pageOf("BootstrapSession")))),
		},
		v + "/bootstrap/trigger": obj{
			"post": op("triggerBootstrapSelection", "Server-initiated bootstrap of a selection: queue the Bootstrap-Request Trigger (/1/x/9) of every device"+fleet,
				nil, object(obj{"selection": object(obj{"ids": array(integer("")), "endpoints": array(str("")),
					"labels": obj{"type": "object", "additionalProperties": obj{"type": "string"}}, "profile": str("name or id"),
					"customer": integer(""), "asset": integer("")})}, "selection"),
				problems("400").with("202", resp("one queued command per device", pageOf("Command")))),
		},
		v + "/devices/{endpoint}/bootstrap": obj{
			"post": op("triggerBootstrap", "Server-initiated bootstrap of one device: Execute its /1/x/9 now, or queued until it appears"+fleet,
				one(pEndpoint), nil, lwm2mOpResponses("200")),
		},
		v + "/devices/{endpoint}/bootstrap/sessions": obj{
			"get": op("listDeviceBootstrapSessions", "List a device's bootstrap sessions, newest first"+fleet,
				params(one(pEndpoint, inQuery("state", "running, finished or failed")), page), nil,
				problems("400", "404").with("200", resp("a page of sessions", pageOf("BootstrapSession")))),
		},
		v + "/devices/{endpoint}/bootstrap/binding": obj{
			"delete": op("unbindDevice", "Forget which factory credential the device bootstrapped with; its next bootstrap binds it again"+fleet,
				one(pEndpoint), nil, problems("404").with("204", resp("unbound", nil))),
		},
		v + "/devices/{endpoint}/credentials": obj{
			"get": op("listCredentials", "List a device's management credentials with their lifecycle, never their secrets",
				one(pEndpoint), nil, problems("404").with("200", resp("the credentials", object(obj{"items": array(sref("CredentialDetail")),
					"total": integer(""), "next": str("")}, "items")))),
		},
		v + "/devices/{endpoint}/credentials/rotate": obj{
			"post": op("rotateCredentials", "Rotate a device's credentials: issue new ones and deliver them by re-bootstrap; the old ones stay valid until the device registers with the new"+fleet,
				one(pEndpoint), nil, problems("400", "404", "409", "429").
					with("200", resp("the trigger was executed", sref("Rotation"))).
					with("202", resp("the device is not reachable: the trigger waits in its queue", sref("Rotation")))),
		},
		v + "/devices/{endpoint}/credentials/{id}": obj{
			"delete": op("revokeCredential", "Revoke a credential: its next handshake fails and a live DTLS session that used it is closed"+fleet,
				params(one(pEndpoint), id("credential")), nil, problems("404").with("200", resp("the revoked credential", sref("Credential")))),
		},
		v + "/ca": obj{
			"post": op("initCA", "Create Shoal's certificate authority in the server's data directory (admin); X.509 configurations issue certificates it signs at once, the DTLS listeners present one it issued from their next start",
				nil, object(obj{"cn": str("common name, default Shoal CA"), "org": str("organisation"), "validity": str("default 87600h")}),
				problems("400", "409").with("201", resp("created (Location: the certificate)", sref("CA")))),
		},
		v + "/ca/certificate": obj{
			"get": op("getCACertificate", "Download Shoal's CA certificate (PEM, or DER with format=der)", one(inQuery("format", "pem (default) or der")), nil,
				problems("400", "404").with("200", obj{"description": "the certificate", "content": obj{
					"application/x-pem-file": obj{"schema": obj{"type": "string"}},
					"application/pkix-cert":  obj{"schema": obj{"type": "string", "format": "binary"}}}})),
		},
	}
}

func bootstrapSchemas() obj {
	dur := func(desc string) obj { return str(desc + " (Go duration text such as 90s or 8760h, or seconds)") }
	spec := object(obj{
		"servers": array(object(obj{"short_server_id": integer("1..65534, unique"),
			"uri": str("coaps://host:port (coap:// for nosec); empty: Shoal's own")}, "short_server_id")),
		"security":             obj{"type": "string", "enum": []string{"psk", "x509", "nosec"}},
		"psk_bits":             integer("128 (default) or 256"),
		"cert_validity":        dur("validity of an issued certificate, default one year"),
		"lifetime":             dur("registration lifetime, default 86400s"),
		"binding":              str("U (default), UQ…"),
		"queue_mode":           boolean("1.0 devices get binding UQ"),
		"default_pmin":         dur(""),
		"default_pmax":         dur(""),
		"notification_storing": boolean(""),
		"expiry_warning":       dur("warn this long before an issued certificate expires, default 720h; negative: never"),
		"auto_rotate_before":   dur("x509: rotate automatically this long before expiry"),
		"access_control": array(object(obj{"object_id": integer("not 0 or 2"), "instance_id": integer(""),
			"acl":   obj{"type": "object", "description": "short server id (0: any) → access bits: read 1, write 2, execute 4, delete 8, create 16", "additionalProperties": obj{"type": "integer"}},
			"owner": integer("a configured short server id")}, "object_id", "instance_id", "owner")),
	}, "servers", "security")
	return obj{
		"BootstrapSpec": spec,
		"BootstrapConfigBody": object(obj{"name": str("unique"), "device": str("endpoint"), "profile": str("profile name or id"),
			"account": str("bootstrap account name or id"), "default": boolean("the configuration of every device nothing else covers"),
			"spec": sref("BootstrapSpec")}, "name", "spec"),
		"BootstrapConfig": object(obj{"id": integer(""), "name": str(""),
			"scope":     obj{"type": "string", "enum": []string{"default", "device", "profile", "account"}},
			"device_id": integer(""), "profile_id": integer(""), "account_id": integer(""), "spec": sref("BootstrapSpec"),
			"created_at": timestamp(""), "updated_at": timestamp("")}, "id", "name", "scope", "spec"),
		"BootstrapAccountBody": object(obj{"name": str("unique"), "profile": str("profile name or id for auto-provisioned devices"),
			"customer": str("customer name or id for auto-provisioned devices"), "auto_provision": boolean("")}, "name"),
		"BootstrapAccount": object(obj{"id": integer(""), "name": str(""), "profile_id": integer(""), "customer_id": integer(""),
			"auto_provision": boolean(""), "created_at": timestamp(""), "updated_at": timestamp("")}, "id", "name", "auto_provision"),
		"FactoryCredentialBody": object(obj{"device": str("endpoint (per-device credential)"),
			"account":      str("bootstrap account name or id (batch credential, endpoint bound at first use)"),
			"mode":         obj{"type": "string", "enum": []string{"psk", "x509", "x509-ca", "nosec"}},
			"psk_identity": str("generated when empty"), "psk_key": str("hex; generated (and shown once) when empty"),
			"certificate": str("PEM: the device's certificate (x509) or the batch CA (x509-ca)")}),
		"FactoryCredential": object(obj{"id": integer(""), "account_id": integer(""), "device_id": integer(""), "mode": str(""),
			"psk_identity": str(""), "fingerprint": str("hex SHA-256 of the certificate"), "certificate": str("PEM"),
			"state": obj{"type": "string", "enum": []string{"active", "revoked"}}, "created_at": timestamp(""), "revoked_at": timestamp("")},
			"id", "mode", "state"),
		"CreatedFactoryCredential": object(obj{"credential": sref("FactoryCredential"), "psk_key": str("hex; only when generated, shown this once")},
			"credential"),
		"BootstrapSession": object(obj{"id": integer(""), "device_id": integer(""), "endpoint": str(""), "config_id": integer(""),
			"credential_id": integer("the management credential delivered"), "identity": str("the factory identity used"),
			"address": str(""), "state": obj{"type": "string", "enum": []string{"running", "finished", "failed"}},
			"step": str("where it stopped: discover, read, plan, delete, write, finish, done"), "path": str("the failed operation's path"),
			"device_code": str("the device's answer when it refused, e.g. 4.06"), "error": str(""), "version": str("LwM2M version"),
			"format": str("content format of the writes"), "server_instance": integer("/1 instance written; -1 unknown"),
			"started_at": timestamp(""), "finished_at": timestamp("")}, "id", "endpoint", "state"),
		"CredentialDetail": object(obj{"id": integer(""), "mode": str(""), "psk_identity": str(""), "fingerprint": str(""),
			"not_after": timestamp(""), "state": obj{"type": "string", "enum": []string{"active", "pending", "revoked"}},
			"certificate": str("PEM"), "created_at": timestamp(""), "revoked_at": timestamp(""),
			"reason":    str("why Shoal issued it: bootstrap, rotation, expiry; external for one it only tracks"),
			"issued_by": str(""), "delivered_at": timestamp("bootstrap wrote it to the device"),
			"confirmed_at": timestamp("the device first registered with it"), "expiry_warned_at": timestamp(""),
			"trigger_command_id": integer("the rotation's Bootstrap-Request Trigger")}, "id", "mode", "state"),
		"CA": object(obj{"subject": str(""), "fingerprint": str("hex SHA-256"), "not_after": timestamp(""), "certificate": str("PEM")},
			"subject", "fingerprint", "not_after", "certificate"),
		"Rotation": object(obj{"credential": sref("Credential"), "queued": boolean("the trigger waits for the device"),
			"command": sref("Command")}, "credential", "queued"),
	}
}
