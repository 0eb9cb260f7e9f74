package api

// webhookText documents webhook requests in the document's description.
const webhookText = "Webhooks: for every event a channel subscribes to (event_types: event types such as registered, expired, " +
	"alarm.raised, alarm.cleared, or \"*\"; alarm_types narrows alarm events to threshold, offline, firmware-failed or auth-failures), " +
	"Shoal POSTs a JSON document — the event as GET /api/v1/events shows it: id, time, device_id, endpoint, customer_id, category, " +
	"type, actor, data — with Content-Type: application/json and these headers: X-Shoal-Signature: sha256=<hex HMAC-SHA256 of the " +
	"exact body, keyed with the channel's secret>; X-Shoal-Timestamp: the attempt's Unix time in seconds; X-Shoal-Event-Id: the " +
	"event's id (the same on every attempt: drop repeats); X-Shoal-Event: the event type; X-Shoal-Delivery: the delivery's id in " +
	"the channel's log. Verify the signature over the raw body before parsing it, comparing in constant time. A 2xx answer " +
	"delivers; anything else (redirects included) or no answer within 10 s is retried with exponential backoff (5 s doubling, " +
	"at most 1 h between attempts, 8 attempts by default). A customer's channel receives only that customer's events. " +
	"Delivery never holds up Shoal: when the delivery queue is full the delivery is dropped and counted (shoal_webhook_dropped_total)."

// alarmPaths describes alarms, alarm rules and webhook channels.
func alarmPaths() obj {
	const v = "/api/v1"
	page := one(pCursor, pLimit)
	id := func(what string) []obj { return one(inPath("id", what+" id")) }
	return obj{
		v + "/alarms": obj{"get": op("listAlarms", "List alarms, newest first (a customer token: its own). Live changes arrive on GET /api/v1/events?category=alarm",
			params(one(inQuery("state", "active, acknowledged or cleared (repeat or comma-separate)"),
				inQuery("severity", "critical, major, minor, warning or info (repeat or comma-separate)"),
				inQuery("device", "endpoint"), inQuery("rule", "alarm rule id")), page), nil,
			problems("400", "404").with("200", resp("a page of alarms", pageOf("Alarm"))))},
		v + "/alarms/{id}": obj{"get": op("getAlarm", "Get an alarm", id("alarm"), nil,
			problems("404").with("200", resp("the alarm", sref("Alarm"))))},
		v + "/alarms/{id}/ack": obj{"post": op("acknowledgeAlarm", "Acknowledge an active alarm (no-op when acknowledged; 409 when cleared)", id("alarm"), nil,
			problems("404", "409").with("200", resp("the alarm", sref("Alarm"))))},
		v + "/alarms/{id}/clear": obj{"post": op("clearAlarm", "Clear an alarm by hand (no-op when cleared)", id("alarm"), nil,
			problems("404").with("200", resp("the alarm", sref("Alarm"))))},
		v + "/alarm-rules": obj{
			"get": op("listAlarmRules", "List alarm rules (admin, operator)", params(one(inQuery("profile", "profile name or id"),
				inQuery("device", "endpoint"), inQuery("kind", "threshold, offline, firmware-failed or auth-failures")), page), nil,
				problems("400", "404").with("200", resp("a page of rules", pageOf("AlarmRule")))),
			"post": op("createAlarmRule", "Create an alarm rule (admin, operator); it applies at once", nil, sref("AlarmRuleBody"),
				problems("400").with("201", resp("created (Location: its URL)", sref("AlarmRule")))),
		},
		v + "/alarm-rules/{id}": obj{
			"get": op("getAlarmRule", "Get an alarm rule", id("rule"), nil, problems("404").with("200", resp("the rule", sref("AlarmRule")))),
			"put": op("updateAlarmRule", "Replace an alarm rule", id("rule"), sref("AlarmRuleBody"),
				problems("400", "404").with("200", resp("the rule", sref("AlarmRule")))),
			"delete": op("deleteAlarmRule", "Delete an alarm rule; the alarms it left open are cleared", id("rule"), nil,
				problems("404").with("204", resp("deleted", nil))),
		},
		v + "/webhooks": obj{
			"get": op("listWebhooks", "List webhook channels (a customer token: its own)", page, nil,
				problems("400").with("200", resp("a page of channels", pageOf("Webhook")))),
			"post": op("createWebhook", "Create a webhook channel; see the description for what is sent and how it is signed", nil, sref("WebhookBody"),
				problems("400", "404").with("201", resp("created (Location: its URL); secret when generated, shown this once", sref("CreatedWebhook")))),
		},
		v + "/webhooks/{id}": obj{
			"get": op("getWebhook", "Get a webhook channel (never its secret)", id("webhook"), nil,
				problems("404").with("200", resp("the channel", sref("Webhook")))),
			"patch": op("updateWebhook", "Change a webhook channel (event_types and alarm_types replace the lists)", id("webhook"), sref("WebhookBody"),
				problems("400", "404").with("200", resp("the channel", sref("Webhook")))),
			"delete": op("deleteWebhook", "Delete a webhook channel and its delivery log", id("webhook"), nil,
				problems("404").with("204", resp("deleted", nil))),
		},
		v + "/webhooks/{id}/deliveries": obj{"get": op("listWebhookDeliveries", "The channel's delivery log, newest first",
			params(id("webhook"), one(inQuery("state", "pending, succeeded or failed (repeat or comma-separate)")), page), nil,
			problems("400", "404").with("200", resp("a page of deliveries", pageOf("Delivery"))))},
	}
}

// alarmSchemas describes the DTOs of alarms.go and webhooks.go.
func alarmSchemas() obj {
	severity := obj{"type": "string", "enum": []string{"critical", "major", "minor", "warning", "info"}}
	kind := obj{"type": "string", "enum": []string{"threshold", "offline", "firmware-failed", "auth-failures"}}
	number := func(desc string) obj { return obj{"type": "number", "description": desc} }
	return obj{
		"Alarm": object(obj{"id": integer(""), "device_id": integer(""), "endpoint": str(""), "customer_id": integer(""),
			"rule": str("the id of the rule that raised it"), "type": kind, "severity": severity,
			"state":   obj{"type": "string", "enum": []string{"active", "acknowledged", "cleared"}},
			"message": str(""), "details": obj{"type": "object", "description": "what the rule saw (value, threshold, since…)"},
			"count":      integer("how often the condition was raised while the alarm stayed open"),
			"started_at": timestamp(""), "updated_at": timestamp(""), "acked_at": timestamp(""), "acked_by": str(""),
			"cleared_at": timestamp("")}, "id", "device_id", "rule", "type", "severity", "state", "count", "started_at", "updated_at"),
		"AlarmRuleSpec": object(obj{"kind": kind,
			"key":    str("threshold: the telemetry key"),
			"above":  number("threshold: raised when the value is above"),
			"below":  number("threshold: raised when the value is below (with above: outside below..above)"),
			"for":    str("threshold: how long the value must stay beyond; offline: how long the device must be offline (e.g. 5m)"),
			"count":  integer("auth-failures: failures that raise it"),
			"window": str("auth-failures: within this time (e.g. 10m)")}, "kind"),
		"AlarmRule": object(obj{"id": integer(""), "name": str(""), "profile_id": integer(""), "device_id": integer(""),
			"severity": severity, "disabled": boolean(""), "spec": sref("AlarmRuleSpec"), "created_at": timestamp(""),
			"updated_at": timestamp("")}, "id", "name", "severity", "disabled", "spec"),
		"AlarmRuleBody": object(obj{"name": str(""), "profile": str("profile name or id"), "device": str("endpoint"),
			"severity": severity, "disabled": boolean(""), "spec": sref("AlarmRuleSpec")}, "name", "severity", "spec"),
		"Webhook": object(obj{"id": integer(""), "name": str(""), "url": str("http or https"), "event_types": array(str("")),
			"alarm_types": array(str("")), "customer_id": integer("a customer's channel gets only its events"),
			"disabled": boolean(""), "created_at": timestamp(""), "updated_at": timestamp("")}, "id", "url", "event_types", "alarm_types", "disabled"),
		"WebhookBody": object(obj{"name": str(""), "url": str("http:// or https:// (anything else is 400)"),
			"secret":      str("16 to 256 bytes; left out on create, one is generated and returned once"),
			"event_types": array(str("event types, or \"*\"")), "alarm_types": array(kind),
			"customer": integer("customer id (create only; a customer token's channels are its own)"), "disabled": boolean("")}),
		"CreatedWebhook": object(obj{"webhook": sref("Webhook"), "secret": str("the generated secret, shown this once")}, "webhook"),
		"Delivery": object(obj{"id": integer(""), "event_id": integer(""), "event_type": str(""),
			"state": obj{"type": "string", "enum": []string{"pending", "succeeded", "failed"}}, "attempts": integer(""),
			"max_attempts": integer(""), "status_code": integer("the receiver's last answer"), "error": str("why the last attempt failed"),
			"next_attempt_at": timestamp("when pending"), "created_at": timestamp(""), "updated_at": timestamp("")},
			"id", "event_type", "state", "attempts", "max_attempts", "created_at", "updated_at"),
	}
}
