package linkformat

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/shoal-iot/shoal/lwm2m"
)

func readJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

type parseCase struct {
	Name      string       `json:"name"`
	Input     string       `json:"input"`
	Links     []lwm2m.Link `json:"links"`
	Canonical string       `json:"canonical"`
}

type registrationCase struct {
	Name         string       `json:"name"`
	Input        string       `json:"input"`
	Registration Registration `json:"registration"`
	Canonical    string       `json:"canonical"`
}

type discoverCase struct {
	Name      string       `json:"name"`
	Input     string       `json:"input"`
	Links     []ObjectLink `json:"links"`
	Canonical string       `json:"canonical"`
}

func TestGoldenParse(t *testing.T) {
	var cases []parseCase
	readJSON(t, "parse.json", &cases)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			links, err := Parse([]byte(c.Input))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(links, c.Links) {
				t.Fatalf("Parse:\n got %+v\nwant %+v", links, c.Links)
			}
			if got := string(Format(links)); got != c.Canonical {
				t.Fatalf("Format:\n got %s\nwant %s", got, c.Canonical)
			}
			again, err := Parse([]byte(c.Canonical))
			if err != nil || !reflect.DeepEqual(again, links) {
				t.Fatalf("canonical form parses to %+v, %v", again, err)
			}
		})
	}
}

func TestGoldenRegistration(t *testing.T) {
	var cases []registrationCase
	readJSON(t, "registration.json", &cases)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			reg, err := ParseRegistration([]byte(c.Input))
			if err != nil {
				t.Fatalf("ParseRegistration: %v", err)
			}
			if !reflect.DeepEqual(reg, c.Registration) {
				t.Fatalf("ParseRegistration:\n got %+v\nwant %+v", reg, c.Registration)
			}
			if got := string(FormatRegistration(reg)); got != c.Canonical {
				t.Fatalf("FormatRegistration:\n got %s\nwant %s", got, c.Canonical)
			}
			again, err := ParseRegistration([]byte(c.Canonical))
			if err != nil || !reflect.DeepEqual(again, reg) {
				t.Fatalf("canonical form parses to %+v, %v", again, err)
			}
		})
	}
}

func TestGoldenDiscover(t *testing.T) {
	var cases []discoverCase
	readJSON(t, "discover.json", &cases)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			links, err := ParseDiscover([]byte(c.Input))
			if err != nil {
				t.Fatalf("ParseDiscover: %v", err)
			}
			if !reflect.DeepEqual(links, c.Links) {
				t.Fatalf("ParseDiscover:\n got %+v\nwant %+v", links, c.Links)
			}
			if got := string(FormatDiscover(links)); got != c.Canonical {
				t.Fatalf("FormatDiscover:\n got %s\nwant %s", got, c.Canonical)
			}
		})
	}
}
