package objects

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/shoal-iot/shoal/lwm2m"
)

// Registry holds object models by id and version and implements
// lwm2m.ModelProvider. Lookups are lock-free and safe for concurrent use,
// also while LoadDir or Add runs (a load publishes a new immutable snapshot
// at once, or nothing on error). The models it hands out are shared: callers
// must treat them as read-only.
//
// The zero Registry is empty; New returns one holding the standard objects.
type Registry struct {
	snap atomic.Pointer[snapshot]
}

// snapshot is an immutable view of the registry.
type snapshot struct {
	byID map[uint16][]entry // versions of one object, ascending
}

type entry struct {
	ver   version
	model *lwm2m.ObjectModel
}

// New returns a registry holding the standard objects compiled from ddf/.
func New() *Registry {
	r := &Registry{}
	models := Standard()
	add := make([]*lwm2m.ObjectModel, len(models))
	for i := range models {
		add[i] = &models[i]
	}
	r.publish(add)
	return r
}

func (r *Registry) load() *snapshot {
	if s := r.snap.Load(); s != nil {
		return s
	}
	return &snapshot{}
}

// publish replaces the snapshot with one that also holds models.
func (r *Registry) publish(models []*lwm2m.ObjectModel) {
	for {
		old := r.snap.Load()
		base := old
		if base == nil {
			base = &snapshot{}
		}
		if r.snap.CompareAndSwap(old, base.with(models)) {
			return
		}
	}
}

// with returns a copy of s with the models added; a model replaces one of
// the same id and version.
func (s *snapshot) with(models []*lwm2m.ObjectModel) *snapshot {
	n := &snapshot{byID: maps.Clone(s.byID)}
	if n.byID == nil {
		n.byID = make(map[uint16][]entry)
	}
	touched := make(map[uint16]bool)
	for _, m := range models {
		v, _ := scanVersion(m.Version) // validated by the callers
		vs := n.byID[m.ID]
		if !touched[m.ID] {
			vs = slices.Clone(vs) // never write into the old snapshot
			touched[m.ID] = true
		}
		i, found := slices.BinarySearchFunc(vs, v, func(e entry, v version) int { return e.ver.compare(v) })
		if found {
			vs[i].model = m
		} else {
			vs = slices.Insert(vs, i, entry{ver: v, model: m})
		}
		n.byID[m.ID] = vs
	}
	return n
}

// Object returns the model of object id at the given version:
//   - version "" (or one that is not "major.minor") gives the newest known;
//   - a known version gives exactly that one;
//   - an unknown version gives the newest known version below it, or, when
//     every known version is above it, the oldest known.
//
// So a device announcing ver=1.1 of an object Shoal knows at 1.0 and 1.2 is
// served the 1.0 model, and one announcing 0.9 the 1.0 model.
func (r *Registry) Object(id uint16, ver string) (*lwm2m.ObjectModel, bool) {
	vs := r.load().byID[id]
	if len(vs) == 0 {
		return nil, false
	}
	want, ok := scanVersion(ver)
	if !ok {
		return vs[len(vs)-1].model, true
	}
	i, found := slices.BinarySearchFunc(vs, want, func(e entry, v version) int { return e.ver.compare(v) })
	switch {
	case found:
		return vs[i].model, true
	case i > 0:
		return vs[i-1].model, true
	}
	return vs[0].model, true
}

// Objects returns every model the registry holds, every version of each
// object, sorted by id and then by version (ascending). The slice is fresh;
// the models are shared and read-only.
func (r *Registry) Objects() []*lwm2m.ObjectModel {
	s := r.load()
	ids := slices.Sorted(maps.Keys(s.byID))
	var out []*lwm2m.ObjectModel
	for _, id := range ids {
		for _, e := range s.byID[id] {
			out = append(out, e.model)
		}
	}
	return out
}

// Add adds models, which replace registered ones of the same id and version.
// Each model is checked (id and resource ids within 0..lwm2m.MaxID, unique
// resource ids, Version and LwM2MVersion "major.minor" or empty for "1.0")
// and copied, its resources sorted by id. On error nothing is added.
func (r *Registry) Add(models ...lwm2m.ObjectModel) error {
	add := make([]*lwm2m.ObjectModel, 0, len(models))
	for i := range models {
		m, err := checkModel(models[i])
		if err != nil {
			return fmt.Errorf("objects: add object %d: %w", models[i].ID, err)
		}
		add = append(add, m)
	}
	r.publish(add)
	return nil
}

// ErrInvalidModel is wrapped by Add for a model that breaks the rules.
var ErrInvalidModel = errors.New("invalid object model")

// checkModel validates m and returns a private copy with defaults applied.
func checkModel(m lwm2m.ObjectModel) (*lwm2m.ObjectModel, error) {
	if m.ID > lwm2m.MaxID {
		return nil, fmt.Errorf("%w: id %d is above %d", ErrInvalidModel, m.ID, lwm2m.MaxID)
	}
	for _, f := range []*string{&m.Version, &m.LwM2MVersion} {
		if *f == "" {
			*f = defaultVersion
		}
		if _, err := parseVersion(*f); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidModel, err)
		}
	}
	m.Resources = slices.Clone(m.Resources)
	slices.SortFunc(m.Resources, func(a, b lwm2m.ResourceModel) int { return cmp.Compare(a.ID, b.ID) })
	for i, res := range m.Resources {
		if res.ID > lwm2m.MaxID {
			return nil, fmt.Errorf("%w: resource id %d is above %d", ErrInvalidModel, res.ID, lwm2m.MaxID)
		}
		if i > 0 && m.Resources[i-1].ID == res.ID {
			return nil, fmt.Errorf("%w: duplicate resource id %d", ErrInvalidModel, res.ID)
		}
	}
	return &m, nil
}

// LoadDir parses every *.xml file in dir (not its sub-directories) as a DDF
// and adds the objects found: a new id or version is added, one that matches
// a registered id and version overrides it (this is how vendors correct a
// standard object). Two files in dir defining the same id and version are an
// error. Errors name the file (and, for bad content, line and element); every
// bad file is reported, joined, and on any error nothing is added.
//
// LoadDir is meant for start-up; concurrent lookups see either the old or
// the new set of objects, never a mix.
func (r *Registry) LoadDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("objects: load %s: %w", dir, err)
	}
	type key struct {
		id  uint16
		ver version
	}
	from := make(map[key]string)
	var add []*lwm2m.ObjectModel
	var errs []error
	for _, e := range entries {
		if e.IsDir() || !strings.EqualFold(filepath.Ext(e.Name()), ".xml") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		models, err := parseFile(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for i := range models {
			m := &models[i]
			v, _ := scanVersion(m.Version)
			k := key{m.ID, v}
			if prev, dup := from[k]; dup {
				errs = append(errs, &DDFError{File: path, Element: objectLabel(i+1, m.ID, true),
					Msg: fmt.Sprintf("object %d version %s is also defined in %s", m.ID, m.Version, prev)})
				continue
			}
			from[k] = path
			add = append(add, m)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	r.publish(add)
	return nil
}

func parseFile(path string) ([]lwm2m.ObjectModel, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("objects: %w", err)
	}
	defer f.Close()
	return ParseDDF(f, path)
}
