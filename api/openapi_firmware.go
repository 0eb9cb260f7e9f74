package api

// firmwarePaths describes firmware images, campaigns, a device's firmware
// jobs and the HTTP pull of packages.
func firmwarePaths() obj {
	const v = "/api/v1"
	page := one(pCursor, pLimit)
	id := func(what string) []obj { return one(inPath("id", what+" id")) }
	fleet := " (admin, operator)"
	view := func(desc string) responses {
		return problems("404", "409").with("200", resp(desc, sref("Campaign")))
	}
	octets := obj{"application/octet-stream": obj{"schema": obj{"type": "string", "format": "binary"}}}
	pkg := func(id, summary string) obj {
		o := op(id, summary, one(inPath("token", "the one-time token of the device's Package URI")), nil,
			responses{
				"200":     obj{"description": "the package (Content-Length, ETag \"<sha256>\")", "content": octets},
				"206":     obj{"description": "a range of the package", "content": octets},
				"404":     obj{"description": "unknown token, or its download is over", "content": obj{"application/problem+json": obj{"schema": sref("Problem")}}},
				"default": obj{"description": "an error", "content": obj{"application/problem+json": obj{"schema": sref("Problem")}}},
			})
		o["security"] = []obj{}
		return o
	}
	upload := op("uploadFirmware", "Upload a firmware image: the body is the raw image, streamed and hashed on the way in; metadata in the query"+fleet,
		params(one(inQuery("version", "the version the device reports after the update (/3/0/3); required"),
			inQuery("name", "defaults to the version"),
			inQuery("sha256", "hex digest the image must have: a mismatch is 400 and nothing is stored"),
			inQuery("model", "a compatible device model (/3/0/1); repeatable"),
			inQuery("profile", "a profile (name or id) the image is for; repeatable"),
			inQuery("notes", "free text"))), nil,
		problems("400", "413", "415").with("201", resp("stored (Location: its URL)", sref("FirmwareImage"))))
	upload["requestBody"] = obj{"required": true, "content": octets}
	return obj{
		v + "/firmware": obj{
			"get": op("listFirmware", "List firmware images"+fleet, page, nil,
				problems("400").with("200", resp("a page of images", pageOf("FirmwareImage")))),
			"post": upload,
		},
		v + "/firmware/{id}": obj{
			"get": op("getFirmware", "Get a firmware image's record"+fleet, id("image"), nil,
				problems("404").with("200", resp("the image", sref("FirmwareImage")))),
			"delete": op("deleteFirmware", "Delete a firmware image and its bytes; refused while a campaign uses it or a profile targets it"+fleet,
				id("image"), nil, problems("404", "409").with("204", resp("deleted", nil))),
		},
		v + "/firmware/{id}/content": obj{
			"get": op("downloadFirmware", "Download a firmware image's bytes (ranges and If-None-Match honoured)"+fleet, id("image"), nil,
				problems("404").with("200", obj{"description": "the image (Content-Length, ETag \"<sha256>\")", "content": octets})),
		},
		v + "/campaigns": obj{
			"get": op("listCampaigns", "List firmware campaigns with their progress"+fleet, page, nil,
				problems("400").with("200", resp("a page of campaigns", pageOf("Campaign")))),
			"post": op("createCampaign", "Create a firmware campaign: every selected device gets a pending row; it starts at once unless it is a draft"+fleet,
				nil, sref("CampaignBody"), problems("400").with("201", resp("created (Location: its URL)", sref("Campaign")))),
		},
		v + "/campaigns/{id}": obj{
			"get": op("getCampaign", "Get a campaign with its progress"+fleet, id("campaign"), nil,
				problems("404").with("200", resp("the campaign", sref("Campaign")))),
			"delete": op("deleteCampaign", "Delete a draft or finished campaign with its device rows; 409 while it runs or is paused"+fleet,
				id("campaign"), nil, problems("404", "409").with("204", resp("deleted", nil))),
		},
		v + "/campaigns/{id}/devices": obj{
			"get": op("listCampaignDevices", "List a campaign's devices with their state and failure reasons"+fleet,
				params(id("campaign"), one(inQuery("state", "pending, downloading, downloaded, updating, succeeded, failed, cancelled, skipped; repeat or comma-separate")), page),
				nil, problems("400", "404").with("200", resp("a page of devices", pageOf("CampaignDevice")))),
		},
		v + "/campaigns/{id}/start": obj{
			"post": op("startCampaign", "Start a draft campaign"+fleet, id("campaign"), nil, view("the campaign")),
		},
		v + "/campaigns/{id}/pause": obj{
			"post": op("pauseCampaign", "Pause a running campaign: no device starts; updates under way finish"+fleet, id("campaign"), nil, view("the campaign")),
		},
		v + "/campaigns/{id}/resume": obj{
			"post": op("resumeCampaign", "Resume a paused (or start a draft) campaign; the failure threshold counts from now"+fleet, id("campaign"), nil, view("the campaign")),
		},
		v + "/campaigns/{id}/cancel": obj{
			"post": op("cancelCampaign", "Cancel a campaign: devices not started and downloads under way are cancelled; installs finish"+fleet, id("campaign"), nil, view("the campaign")),
		},
		v + "/devices/{endpoint}/firmware": obj{
			"get": op("getDeviceFirmware", "List a device's firmware jobs, newest campaign first (a customer reads its own devices')",
				one(pEndpoint), nil, problems("404").with("200", resp("the device's jobs", object(obj{"items": array(sref("CampaignDevice"))}, "items")))),
		},
		PackagePath + "{token}": obj{
			"get":  pkg("downloadPackage", "A device pulls a firmware package over HTTP(S) with the one-time token of its Package URI (/5/0/1); no bearer token"),
			"head": pkg("headPackage", "The size and ETag of a firmware package, by its one-time token; no bearer token"),
		},
	}
}

func firmwareSchemas() obj {
	states := []string{"pending", "downloading", "downloaded", "updating", "succeeded", "failed", "cancelled", "skipped"}
	counts := obj{}
	for _, s := range states {
		counts[s] = integer("")
	}
	selection := object(obj{"ids": array(integer("device id")), "endpoints": array(str("")),
		"labels":  obj{"type": "object", "additionalProperties": obj{"type": "string"}, "description": "every label must match"},
		"profile": str("profile name or id"), "customer": integer("customer id"), "asset": integer("asset id"),
		"profile_id": integer("as profile"), "customer_id": integer("as customer"), "asset_id": integer("as asset")})
	method := obj{"type": "string", "enum": []string{"", "pull", "push"}, "description": "preferred delivery; devices that cannot take it get the other"}
	return obj{
		"FirmwareImage": object(obj{"id": integer(""), "name": str(""), "version": str(""), "size": integer("bytes"),
			"sha256": str("lower-case hex"), "models": array(str("")), "profile_ids": array(integer("")), "notes": str(""),
			"created_at": timestamp("")}, "id", "name", "version", "size", "sha256", "models", "profile_ids", "created_at"),
		"CampaignBody": object(obj{"name": str(""), "image_id": integer(""), "selection": selection,
			"concurrency":       integer("devices updating at once, 1..10000 (default 10)"),
			"failure_threshold": integer("pause once more devices than this failed (0: never)"),
			"start_after":       timestamp("start no device before (RFC 3339)"),
			"stop_after":        timestamp("start no device after (RFC 3339)"),
			"method":            method,
			"waves":             array(integer("devices in the wave")),
			"wave_delay":        str("pause between waves, e.g. 30s"),
			"max_attempts":      integer("per device, for retryable failures (0: the server's default)"),
			"draft":             boolean("create without starting")}, "name", "image_id", "selection"),
		"Campaign": object(obj{"id": integer(""), "name": str(""), "image_id": integer(""),
			"selection": object(obj{"ids": array(integer("")), "endpoints": array(str("")),
				"labels": obj{"type": "object", "additionalProperties": obj{"type": "string"}}, "profile_id": integer(""),
				"customer_id": integer(""), "asset_id": integer("")}),
			"concurrency": integer(""), "failure_threshold": integer(""),
			"state":        obj{"type": "string", "enum": []string{"draft", "running", "paused", "completed", "cancelled"}},
			"state_reason": str("why it paused, completed or was cancelled"), "start_after": timestamp(""), "stop_after": timestamp(""),
			"method": method, "waves": array(integer("")), "wave_delay": str(""), "max_attempts": integer(""),
			"profile_id":   integer("set on a profile's automatic campaign"),
			"failure_base": integer("failed devices when it was last resumed"), "wave": integer("the wave under way"),
			"wave_ready_at": timestamp(""), "started_at": timestamp(""), "finished_at": timestamp(""),
			"created_at": timestamp(""), "updated_at": timestamp(""),
			"image":  sref("FirmwareImage"),
			"counts": object(counts, states...), "total": integer("devices in the campaign")},
			"id", "name", "image_id", "state", "image", "counts", "total"),
		"CampaignDevice": object(obj{"campaign_id": integer(""), "device_id": integer(""), "endpoint": str(""),
			"state": obj{"type": "string", "enum": states}, "method": str("pull or push"), "attempts": integer(""),
			"reason": str("a failure's name: integrity, timeout, …"), "detail": str("what the device last reported, raw"),
			"from_version": str(""), "to_version": str(""), "wave": integer(""), "deadline": timestamp("the stage under way ends"),
			"next_attempt_at": timestamp(""), "started_at": timestamp(""), "finished_at": timestamp(""), "updated_at": timestamp("")},
			"campaign_id", "device_id", "state", "attempts"),
	}
}
