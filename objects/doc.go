// Package objects is Shoal's OMA/IPSO object registry: the models of the
// standard LwM2M objects, compiled in as Go data from the OMA registry's DDF
// XML files in ddf/, and a loader for user-supplied DDF files so vendors can
// add objects of their own or override standard ones.
//
// A model holds facts only: ids, names, URN, versions, multiplicity,
// mandatory flags and, per resource, operations, data type, range and units.
// Description prose is dropped.
//
// [Registry] implements [lwm2m.ModelProvider]. [ParseDDF] reads one DDF file
// and reports malformed input as a [*DDFError] naming the file, the line and
// the element (for example
// `vendor.xml:40: Object[2] (ID 33000) Item[ID=5]: Type "Foo" is not an LwM2M data type`).
//
// standard_gen.go is generated from ddf/*.xml; after changing those files run
// `go generate ./objects`. A test fails when the committed table and the XML
// disagree.
package objects

//go:generate go run ./internal/gen -out standard_gen.go ddf
