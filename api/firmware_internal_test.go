package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/shoal-iot/shoal/dm"
)

type campaignBodyCase struct {
	Name    string          `json:"name"`
	Body    json.RawMessage `json:"body"`
	Want    json.RawMessage `json:"want"`
	Profile string          `json:"profile"`
	Field   string          `json:"field"`
}

// campaignBody is a case's body: a JSON string is taken as raw text.
func (c campaignBodyCase) body() []byte {
	var s string
	if json.Unmarshal(c.Body, &s) == nil {
		return []byte(s)
	}
	return c.Body
}

// TestCampaignBodyGolden decodes the bodies of
// testdata/campaign_bodies.json: each becomes the dm input (and profile
// reference) given, or a field error naming the member.
func TestCampaignBodyGolden(t *testing.T) {
	var cs []campaignBodyCase
	readGolden(t, "campaign_bodies.json", &cs)
	if len(cs) < 10 {
		t.Fatalf("only %d cases", len(cs))
	}
	for _, c := range cs {
		t.Run(c.Name, func(t *testing.T) {
			in, profile, err := parseCampaignBody(c.body())
			if c.Field != "" {
				var fe *fieldError
				if !errors.As(err, &fe) || fe.Field != c.Field {
					t.Fatalf("error %v, want a field error on %s", err, c.Field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want dm.CampaignInput
			if err := json.Unmarshal(c.Want, &want); err != nil {
				t.Fatal(err)
			}
			w, _ := json.Marshal(want)
			h, _ := json.Marshal(in)
			if !bytes.Equal(w, h) {
				t.Errorf("input\n got %s\nwant %s", h, w)
			}
			if profile != c.Profile {
				t.Errorf("profile %q, want %q", profile, c.Profile)
			}
		})
	}
}

// FuzzCampaignBody: any body decodes to an input or a field error, never
// a panic; an accepted body names a campaign, an image and a selection.
func FuzzCampaignBody(f *testing.F) {
	var cs []campaignBodyCase
	readGolden(f, "campaign_bodies.json", &cs)
	for _, c := range cs {
		f.Add(c.body())
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, _, err := parseCampaignBody(body)
		if err != nil {
			if !errors.Is(err, errBadInput) {
				t.Fatalf("not a field error: %v", err)
			}
			return
		}
		if strings.TrimSpace(in.Name) == "" || in.ImageID <= 0 || in.WaveDelay < 0 {
			t.Fatalf("accepted %q as %+v", body, in)
		}
	})
}
