package api

// openAPISchemas describes the DTOs (dto_*.go and the lwm2m JSON shapes).
func openAPISchemas() obj {
	anyValue := obj{"description": "a value in its LwM2M type's JSON form: number, string, boolean, base64 for opaque, RFC 3339 for time, \"3:0\" for objlnk"}
	lwType := obj{"type": "string", "enum": []string{"none", "string", "integer", "unsigned", "float", "boolean", "opaque", "time", "objlnk", "corelnk"}}
	labels := obj{"type": "object", "additionalProperties": obj{"type": "string"}}
	return obj{
		"Problem": object(obj{
			"type":  str("urn:shoal:problem:device-error when the device said it, another urn:shoal:problem:… when Shoal did"),
			"title": str(""), "status": integer(""), "detail": str(""), "instance": str("the request path"),
			"field":      str("the request member, query parameter or route variable at fault"),
			"path":       str("the LwM2M path concerned"),
			"lwm2m_code": str("the device's answer, e.g. 4.04"),
			"command_id": integer("the stored command the device answered"),
		}, "type", "title", "status"),
		"Device": object(obj{
			"id": integer(""), "endpoint": str(""), "name": str(""), "profile": str("profile name"),
			"profile_id": integer(""), "customer_id": integer(""), "labels": labels,
			"status":    obj{"type": "string", "enum": []string{"online", "asleep", "offline", "never"}},
			"last_seen": timestamp(""), "info": sref("DeviceInfo"), "registration": sref("Registration"),
			"created_at": timestamp(""), "updated_at": timestamp(""),
		}, "id", "endpoint", "labels", "status", "created_at", "updated_at"),
		"DeviceInfo": object(obj{
			"manufacturer": str("/3/0/0"), "model": str("/3/0/1"), "serial": str("/3/0/2"), "firmware": str("/3/0/3"),
			"battery": integer("/3/0/9, percent"), "updated_at": timestamp(""),
		}),
		"Registration": object(obj{
			"id": str("registration id"), "lwm2m_version": str(""), "lifetime": integer("seconds"), "binding": str(""),
			"queue_mode": boolean(""), "sms": str(""), "root_path": str(""), "content_formats": array(str("")),
			"objects": str("the object links, as registered"), "address": str(""), "transport": str("udp or dtls"),
			"security": str("nosec, psk or x509"), "identity": str("PSK identity or certificate fingerprint"),
			"registered_at": timestamp(""), "updated_at": timestamp(""), "last_seen": timestamp(""), "expires_at": timestamp(""),
		}),
		"CredentialsInput": object(obj{
			"mode":         obj{"type": "string", "enum": []string{"psk", "x509", "nosec"}},
			"psk_identity": str("defaults to the endpoint"),
			"psk_key":      str("hex; generated (and returned once) when left out"),
			"certificate":  str("PEM"),
		}, "mode"),
		"DeviceCreate": object(obj{
			"endpoint": str(""), "name": str(""), "profile": str("name or id"), "customer": str("name or id"),
			"labels": labels, "credentials": sref("CredentialsInput"),
		}, "endpoint"),
		"DevicePatch": object(obj{
			"name": str(""), "profile": str("name or id; null or \"\" detaches"), "customer": str("name or id; null or \"\" detaches"),
			"labels": labels,
		}),
		"Credential": object(obj{
			"id": integer(""), "mode": str(""), "psk_identity": str(""), "fingerprint": str(""),
			"not_after": timestamp(""), "state": str("active, pending or revoked"),
		}),
		"CreatedDevice": object(obj{
			"device": sref("Device"), "credential": sref("Credential"), "psk_key": str("the generated key, shown this once"),
		}, "device", "credential"),
		"ImportReport": object(obj{
			"created": integer(""), "failed": integer(""),
			"results": array(object(obj{
				"row": integer("data row, from 1"), "endpoint": str(""), "ok": boolean(""), "error": str(""),
				"psk_key": str("a generated key, shown this once"),
			})),
		}, "created", "failed", "results"),
		"Value": object(obj{"type": lwType, "value": anyValue}, "type"),
		"Node": object(obj{
			"kind": obj{"type": "string", "enum": []string{"object", "instance", "resource", "multiple", "resource-instance"}},
			"id":   integer(""), "type": lwType, "value": anyValue,
			"instances": array(sref("Node")), "resources": array(sref("Node")),
		}, "kind", "id"),
		"Record": object(obj{"path": str(""), "type": lwType, "value": anyValue, "time": timestamp("")}, "path", "type"),
		"Result": object(obj{
			"endpoint": str(""), "op": str(""), "path": str(""), "paths": array(str("")), "code": str("e.g. 2.05"),
			"format": str(""), "content": sref("Node"), "records": array(sref("Record")),
			"links":    array(object(obj{"target": str(""), "params": obj{"type": "object"}})),
			"location": str("the instance a Create made"), "payload": str("base64, only when nothing was decoded"),
			"command_id": integer(""),
		}, "endpoint", "op", "code"),
		"WriteBody": obj{"description": "{\"value\": X} with X shaped by the path (a value; {\"<id>\": value} or an array for a multiple resource; {\"<resource id>\": X} for an instance), X alone, or a typed Node. Leaves take the object model's type; {\"type\": …, \"value\": …} types a leaf explicitly. A Create may add \"id\"."},
		"CompositeWrite": object(obj{
			"values":  obj{"type": "object", "description": "path → value, e.g. {\"/3/0/14\": \"+02\"}"},
			"records": array(sref("Record")),
		}),
		"NotificationAttributes": object(obj{
			"pmin": integer(""), "pmax": integer(""), "gt": obj{"type": "number"}, "lt": obj{"type": "number"},
			"st": obj{"type": "number"}, "epmin": integer(""), "epmax": integer(""), "edge": integer("0 or 1"),
			"con": integer("0 or 1"), "hqmax": integer(""), "unset": array(str("attribute names to clear")),
		}),
		"Command": object(obj{
			"id": integer(""), "device_id": integer(""), "endpoint": str(""), "op": str(""), "path": str(""),
			"paths": array(str("")), "format": str(""), "args": str(""),
			"state":    obj{"type": "string", "enum": []string{"pending", "sent", "succeeded", "failed", "expired", "cancelled"}},
			"attempts": integer(""), "max_attempts": integer(""), "next_attempt_at": timestamp(""),
			"expires_at": timestamp(""), "created_at": timestamp(""), "updated_at": timestamp(""),
			"result": sref("Result"), "error": str(""),
		}, "id", "endpoint", "op", "state"),
		"CommandBody": commandBodySchema(),
		"SelectionCommand": obj{"allOf": []obj{sref("CommandBody"), object(obj{"selection": object(obj{
			"ids": array(integer("")), "endpoints": array(str("")), "labels": labels, "profile": str("name or id"),
			"customer": integer(""), "asset": integer(""),
		})}, "selection")}},
		"Telemetry": object(obj{"endpoint": str(""), "series": array(object(obj{
			"key":     str(""),
			"points":  array(object(obj{"time": timestamp(""), "type": lwType, "value": anyValue})),
			"buckets": array(object(obj{"time": timestamp("interval start"), "type": lwType, "value": anyValue, "count": integer("")})),
		}))}, "endpoint", "series"),
		"AttributeValue": object(obj{"path": str(""), "key": str(""), "type": lwType, "value": anyValue, "updated_at": timestamp("")}),
		"Event": object(obj{
			"id": integer(""), "time": timestamp(""), "device_id": integer(""), "endpoint": str(""), "customer_id": integer(""),
			"category": str(""), "type": str(""), "actor": str(""), "data": obj{"type": "object"},
		}, "id", "time", "category", "type"),
		"Profile": object(obj{
			"id": integer(""), "name": str("unique, not a number"), "description": str(""),
			"spec": object(obj{
				"observe": object(obj{
					"strategy": obj{"type": "string", "enum": []string{"single", "composite-all", "composite-per-object"}},
					"targets":  array(object(obj{"path": str(""), "attributes": sref("NotificationAttributes")}, "path")),
				}),
				"telemetry":  array(object(obj{"path": str(""), "name": str("telemetry key")}, "path", "name")),
				"attributes": array(object(obj{"path": str(""), "name": str("attribute name")}, "path", "name")),
				"format":     str("preferred content format"), "awake_window": str("duration"),
				"retry": object(obj{"max_attempts": integer(""), "backoff": str("duration"), "multiplier": obj{"type": "number"},
					"max_backoff": str("duration")}),
				"command_expiry":  str("duration"),
				"target_firmware": object(obj{"version": str(""), "image_id": integer("")}, "version"),
			}),
			"created_at": timestamp(""), "updated_at": timestamp(""),
		}, "name"),
	}
}

func commandBodySchema() obj {
	return object(obj{
		"op": obj{"type": "string", "enum": []string{"read", "discover", "write", "write-update", "write-attributes", "execute",
			"create", "delete", "read-composite", "write-composite", "observe", "cancel-observe", "observe-composite",
			"cancel-observe-composite"}},
		"path": str(""), "paths": array(str("composite targets")), "format": str(""),
		"value":       sref("WriteBody"),
		"content":     sref("Node"),
		"instance_id": integer("the instance a create makes; the device picks when absent"),
		"values":      obj{"type": "object", "description": "write-composite: path → value"},
		"records":     array(sref("Record")),
		"attributes":  sref("NotificationAttributes"),
		"args":        str("execute arguments, e.g. 0='v',1"),
		"timeout":     str("duration"), "wait": str("duration"),
		"queue":  boolean("true: always queue; false: never"),
		"expiry": str("duration"), "max_attempts": integer(""),
	}, "op")
}
