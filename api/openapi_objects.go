package api

// objectPaths describes the object-model routes.
func objectPaths() obj {
	const v = "/api/v1"
	return obj{
		v + "/objects": obj{"get": op("listObjects",
			"Every LwM2M object the server has a model of (standard and vendor DDF), by id, with its newest version's name",
			nil, nil, responses{"200": resp("all object summaries (one page)", pageOf("ObjectSummary"))})},
		v + "/objects/{id}": obj{"get": op("getObject",
			"One object model: each resource's name, operations, type, multiplicity, range and units",
			one(inPath("id", "object id"), inQuery("version", "object version (\"1.2\"); without it the newest; an unknown one gives the newest below it")),
			nil, problems("400", "404").with("200", resp("the model", sref("ObjectModel"))))},
	}
}

// objectSchemas are the object-model DTOs.
func objectSchemas() obj {
	return obj{
		"ObjectSummary": object(obj{
			"id":        integer("object id"),
			"name":      str("name at the newest version"),
			"version":   str("newest version known"),
			"versions":  array(str("a version known, ascending")),
			"multiple":  boolean("whether the object has several instances"),
			"mandatory": boolean("whether every client has it"),
			"resources": integer("number of resources at the newest version"),
		}, "id", "name", "version", "versions", "multiple", "mandatory", "resources"),
		"ObjectModel": object(obj{
			"id":            integer("object id"),
			"name":          str("object name"),
			"urn":           str("object URN"),
			"version":       str("object version"),
			"lwm2m_version": str("minimum LwM2M enabler version"),
			"multiple":      boolean("whether the object has several instances"),
			"mandatory":     boolean("whether every client has it"),
			"resources":     array(sref("ResourceModel")),
		}, "id", "name", "version", "multiple", "mandatory", "resources"),
		"ResourceModel": object(obj{
			"id":         integer("resource id"),
			"name":       str("resource name"),
			"operations": str("R, W, RW, E or empty"),
			"multiple":   boolean("whether the resource has instances"),
			"mandatory":  boolean("whether every instance has it"),
			"type":       str("string, integer, unsigned, float, boolean, opaque, time, objlnk, corelnk or none"),
			"range":      str("range or enumeration as the definition writes it"),
			"units":      str("units"),
		}, "id", "name", "operations", "multiple", "mandatory", "type"),
	}
}
