package main

// Report is docs/benchmarks.json: every figure of one run of the harness.
type Report struct {
	Date      string       `json:"date"`
	Commit    string       `json:"commit"`
	Machine   Machine      `json:"machine"`
	Command   string       `json:"command"`
	Quick     bool         `json:"quick"`
	DurationS float64      `json:"duration_s"`
	Backends  []BackendRun `json:"backends"`
}

// BackendRun is every scenario against one database.
type BackendRun struct {
	Backend   string     `json:"backend"`
	Scenarios []Scenario `json:"scenarios"`
}

// Scenario is one numbered scenario of issue 10.
type Scenario struct {
	ID       int      `json:"id"`
	Name     string   `json:"name"`
	NotRun   string   `json:"not_run,omitempty"`
	Commands []string `json:"commands"`
	Figures  []Figure `json:"figures"`
	Notes    []string `json:"notes,omitempty"`
	Costs    []Cost   `json:"top_cpu_costs,omitempty"`
	Profile  string   `json:"profile,omitempty"`
	// LoadAvg is the machine's 1-minute load average when it began.
	LoadAvg float64 `json:"load_avg_1m"`
	Seconds float64 `json:"seconds"`
}

// Figure is one measured number, its target and whether it met it.
type Figure struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Target string  `json:"target,omitempty"`
	// Pass is nil where there is no target.
	Pass *bool `json:"pass,omitempty"`
	// EchoRatio is the figure over the echo ceiling (throughputs only).
	EchoRatio *float64 `json:"echo_ratio,omitempty"`
}

func (s *Scenario) add(name string, v float64, unit string) *Figure {
	s.Figures = append(s.Figures, Figure{Name: name, Value: v, Unit: unit})
	return &s.Figures[len(s.Figures)-1]
}

// atLeast and atMost set the target and the verdict.
func (f *Figure) atLeast(t float64, text string) *Figure {
	ok := f.Value >= t
	f.Target, f.Pass = text, &ok
	return f
}

func (f *Figure) atMost(t float64, text string) *Figure {
	ok := f.Value <= t
	f.Target, f.Pass = text, &ok
	return f
}

func (f *Figure) ratio(ceiling float64) *Figure {
	if ceiling > 0 {
		r := f.Value / ceiling
		f.EchoRatio = &r
	}
	return f
}
