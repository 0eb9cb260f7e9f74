package api

// openAPIPaths describes every route. Keep it in step with routes():
// TestOpenAPIMatchesRoutes fails on any difference.
func openAPIPaths() obj {
	const v = "/api/v1"
	dev := one(pEndpoint)
	devPath := one(pEndpoint, pPath)
	page := one(pCursor, pLimit)
	deviceFilters := one(
		inQuery("status", "online, asleep, offline or never (repeat or comma-separate)"),
		inQuery("label", "name=value; repeat for several (all must match)"),
		inQuery("profile", "profile name or id"),
		inQuery("customer", "customer id"),
		inQuery("asset", "asset id: the devices it contains, through the assets it contains"),
		inQuery("endpoint", "endpoint names (repeat or comma-separate)"),
		inQuery("id", "device ids (repeat or comma-separate)"),
		inQuery("search", "case-insensitive substring of endpoint or name"),
	)
	compositePaths := one(inQuery("path", "target paths, e.g. /3/0/9 (repeat or comma-separate)"))
	eventFilters := one(
		inQuery("type", "event types (repeat or comma-separate)"),
		inQuery("category", "registration, operation, security, audit, alarm, firmware, telemetry (live only)"),
		inQuery("from", "RFC 3339, Unix seconds, or a negative duration (-1h)"),
		inQuery("to", "RFC 3339, Unix seconds, or a negative duration (-1h)"),
	)
	return obj{
		"/healthz": obj{"get": func() obj {
			o := op("health", "Liveness; needs no token", nil, nil, responses{"200": resp("serving", object(obj{"status": str("ok")}))})
			o["security"] = []obj{}
			return o
		}()},
		"/metrics": obj{"get": op("metrics", "Prometheus metrics (text exposition format)", nil, nil,
			problems().with("200", obj{"description": "metrics", "content": obj{"text/plain": obj{"schema": obj{"type": "string"}}}}))},
		v + "/openapi.json": obj{"get": op("getOpenAPI", "This document", nil, nil,
			problems().with("200", resp("the OpenAPI 3 document", obj{"type": "object"})))},

		v + "/devices": obj{
			"get": op("listDevices", "List devices", params(deviceFilters, page), nil,
				problems("400").with("200", resp("a page of devices", pageOf("Device")))),
			"post": op("createDevice", "Create a device with its credentials; a PSK left out is generated and returned once",
				nil, sref("DeviceCreate"), problems("400", "409").with("201", resp("created (Location: its URL)", sref("CreatedDevice")))),
		},
		v + "/devices/import": obj{"post": func() obj {
			o := op("importDevices", "Create many devices from CSV (text/csv: a header row naming endpoint,name,profile,customer,labels,mode,psk_identity,psk_key,certificate; labels as a=1;b=2) or JSON (an array of create bodies); reports per row",
				nil, nil, problems("400", "413", "415").with("200", resp("the per-row report", sref("ImportReport"))))
			o["requestBody"] = obj{"required": true, "content": obj{
				"application/json": obj{"schema": array(sref("DeviceCreate"))},
				"text/csv":         obj{"schema": obj{"type": "string"}},
			}}
			return o
		}()},
		v + "/devices/{endpoint}": obj{
			"get": op("getDevice", "Get a device with its status, registration and device info", dev, nil,
				problems("404").with("200", resp("the device", sref("Device")))),
			"patch": op("updateDevice", "Change name, profile, customer or labels (labels replace all)", dev, sref("DevicePatch"),
				problems("400", "404", "409").with("200", resp("the device", sref("Device")))),
			"delete": op("deleteDevice", "Delete a device: revokes its credentials, drops its registration, cancels its queued commands", dev, nil,
				problems("404").with("204", resp("deleted", nil))),
		},
		v + "/devices/{endpoint}/lwm2m/{path}": obj{
			"get": op("read", "Read", params(devPath, opParams), nil, lwm2mOpResponses("200")),
			"put": op("write", "Write (replace)", params(devPath, opParams), sref("WriteBody"), lwm2mOpResponses("200")),
			"patch": op("writeUpdate", "Write (partial update)", params(devPath, opParams), sref("WriteBody"),
				lwm2mOpResponses("200")),
			"post": op("executeOrCreate", "Execute a resource (body: arguments as text/plain, a JSON string or {\"args\": …}) or Create an instance in an object (body: as for a write of an instance, plus \"id\")",
				params(devPath, opParams), sref("WriteBody"), lwm2mOpResponses("200").with("201", resp("created (Location: the new instance)", sref("Result")))),
			"delete": op("deleteInstance", "Delete an object instance", params(devPath, opParams), nil, lwm2mOpResponses("200")),
		},
		v + "/devices/{endpoint}/observe/{path}": obj{
			"post":   op("observe", "Observe; notifications arrive as telemetry, attributes and events", params(devPath, opParams), nil, lwm2mOpResponses("200")),
			"delete": op("cancelObserve", "Cancel an observation", params(devPath, opParams), nil, lwm2mOpResponses("200")),
		},
		v + "/devices/{endpoint}/attributes/{path}": obj{"put": op("writeAttributes",
			"Write-Attributes: a JSON body {\"pmin\": 10, \"unset\": [\"gt\"]}, or no body and ?pmin=10&gt (bare to unset)",
			params(devPath, opParams, one(inQuery("pmin", ""), inQuery("pmax", ""), inQuery("gt", ""), inQuery("lt", ""),
				inQuery("st", ""), inQuery("epmin", ""), inQuery("epmax", ""), inQuery("edge", ""), inQuery("con", ""), inQuery("hqmax", ""))),
			sref("NotificationAttributes"), lwm2mOpResponses("200"))},
		v + "/devices/{endpoint}/discover/{path}": obj{"get": op("discover", "Discover", params(devPath, opParams), nil, lwm2mOpResponses("200"))},
		v + "/devices/{endpoint}/composite": obj{
			"get": op("readComposite", "Read-Composite", params(dev, compositePaths, opParams), nil, lwm2mOpResponses("200")),
			"patch": op("writeComposite", "Write-Composite", params(dev, opParams), sref("CompositeWrite"),
				lwm2mOpResponses("200")),
		},
		v + "/devices/{endpoint}/composite/observe": obj{
			"post": op("observeComposite", "Observe-Composite (paths in the query or a {\"paths\": […]} body)",
				params(dev, compositePaths, opParams), nil, lwm2mOpResponses("200")),
			"delete": op("cancelObserveComposite", "Cancel an Observe-Composite", params(dev, compositePaths, opParams), nil,
				lwm2mOpResponses("200")),
		},
		v + "/devices/{endpoint}/commands": obj{
			"get": op("listDeviceCommands", "List a device's commands", params(dev, page, one(inQuery("state", "pending, sent, succeeded, failed, expired, cancelled"))), nil,
				problems("400", "404").with("200", resp("a page of commands", pageOf("Command")))),
			"post": op("sendCommand", "Any LwM2M operation as a JSON body", dev, sref("CommandBody"), lwm2mOpResponses("200")),
		},
		v + "/commands": obj{
			"get": op("listCommands", "List commands", params(page, one(inQuery("device", "endpoint"), inQuery("state", "pending, sent, succeeded, failed, expired, cancelled"))), nil,
				problems("400", "404").with("200", resp("a page of commands", pageOf("Command")))),
			"post": op("sendSelectionCommand", "Queue an operation for every selected device", nil, sref("SelectionCommand"),
				problems("400", "429").with("202", resp("the queued commands", pageOf("Command")))),
		},
		v + "/commands/{id}": obj{
			"get": op("getCommand", "Get a command and its result", one(inPath("id", "command id")), nil,
				problems("400", "404").with("200", resp("the command", sref("Command")))),
			"delete": op("cancelCommand", "Cancel a pending or sent command", one(inPath("id", "command id")), nil,
				problems("400", "404", "409").with("200", resp("the cancelled command", sref("Command")))),
		},
		v + "/devices/{endpoint}/telemetry": obj{"get": op("getTelemetry", "Time series of the device's telemetry keys",
			params(dev, one(inQuery("keys", "keys (repeat or comma-separate); all when absent"),
				inQuery("from", "RFC 3339, Unix seconds, or a negative duration (-1h)"), inQuery("to", "as from"),
				inQuery("interval", "downsampling interval (e.g. 1m); raw points without it"),
				inQuery("agg", "min, max, avg (default) or last"), inQuery("limit", "points or buckets"))), nil,
			problems("400", "404").with("200", resp("the series", sref("Telemetry"))))},
		v + "/devices/{endpoint}/attributes": obj{"get": op("getAttributes", "Latest value of every resource the device reported", dev, nil,
			problems("404").with("200", resp("the values", pageOf("AttributeValue"))))},
		v + "/devices/{endpoint}/events": obj{"get": op("listDeviceEvents", "The device's events, newest first", params(dev, eventFilters, page), nil,
			problems("400", "404").with("200", resp("a page of events", pageOf("Event"))))},
		v + "/events": obj{"get": func() obj {
			o := op("events", "Live events as Server-Sent Events (data: an Event; id: its id; \"event: dropped\" marks lost events; \": heartbeat\" comments keep the stream alive). Send Last-Event-ID to resume from the log. With Accept: application/json (and not text/event-stream), one page of the log instead.",
				params(one(inQuery("device", "endpoint"), inHeader("Last-Event-ID", "resume after this event id"),
					inQuery("access_token", "the bearer token, for clients that cannot send headers (a browser's EventSource); accepted on this route only, and only without an Authorization header")), eventFilters, page), nil,
				problems("400"))
			o["responses"].(obj)["200"] = obj{"description": "the stream, or a page of the log", "content": obj{
				"text/event-stream": obj{"schema": obj{"type": "string"}},
				"application/json":  obj{"schema": pageOf("Event")},
			}}
			return o
		}()},

		v + "/profiles": obj{
			"get":  op("listProfiles", "List profiles", page, nil, problems("400").with("200", resp("a page of profiles", pageOf("Profile")))),
			"post": op("createProfile", "Create a profile", nil, sref("Profile"), problems("400", "409").with("201", resp("created", sref("Profile")))),
		},
		v + "/profiles/{profile}": obj{
			"get": op("getProfile", "Get a profile by name or id", one(inPath("profile", "name or id")), nil,
				problems("404").with("200", resp("the profile", sref("Profile")))),
			"put": op("updateProfile", "Replace a profile", one(inPath("profile", "name or id")), sref("Profile"),
				problems("400", "404", "409").with("200", resp("the profile", sref("Profile")))),
			"delete": op("deleteProfile", "Delete a profile no device uses", one(inPath("profile", "name or id")), nil,
				problems("404", "409").with("204", resp("deleted", nil))),
		},
	}
}
