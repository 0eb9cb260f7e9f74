package api

import (
	"time"

	"github.com/shoal-iot/shoal/lwm2m"
	"github.com/shoal-iot/shoal/models"
)

// resultDTO is a device's successful answer to an operation. Content is
// the node of a single-path Read or Observe, Records the values of a
// composite operation, Links a Discover answer, Location the instance a
// Create made. Values keep their LwM2M types (lwm2m's JSON shapes).
type resultDTO struct {
	Endpoint  string         `json:"endpoint"`
	Op        string         `json:"op"`
	Path      string         `json:"path,omitempty"`
	Paths     []string       `json:"paths,omitempty"`
	Code      string         `json:"code"`
	Format    string         `json:"format,omitempty"`
	Content   *lwm2m.Node    `json:"content,omitempty"`
	Records   []lwm2m.Record `json:"records,omitempty"`
	Links     []linkDTO      `json:"links,omitempty"`
	Location  string         `json:"location,omitempty"`
	Payload   []byte         `json:"payload,omitempty"` // only when nothing was decoded
	CommandID int64          `json:"command_id,omitempty"`
}

// linkDTO is one link of a Discover answer: its target and parameters
// (a bare parameter such as obs is true).
type linkDTO struct {
	Target string         `json:"target"`
	Params map[string]any `json:"params,omitempty"`
}

func pathStrings(ps []lwm2m.Path) []string {
	if len(ps) == 0 {
		return nil
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func toResultDTO(ep string, req lwm2m.Request, resp *lwm2m.Response) resultDTO {
	out := resultDTO{Endpoint: ep, Op: req.Op.String(), Paths: pathStrings(req.Paths), Code: resp.Code.String(),
		Content: resp.Content, Records: resp.Records}
	if !req.Op.IsComposite() {
		out.Path = req.Path.String()
	}
	if resp.Format != lwm2m.FormatNone {
		out.Format = resp.Format.String()
	}
	for _, l := range resp.Links {
		ld := linkDTO{Target: l.Target}
		if len(l.Params) > 0 {
			ld.Params = make(map[string]any, len(l.Params))
			for _, p := range l.Params {
				if p.HasValue {
					ld.Params[p.Name] = p.Value
				} else {
					ld.Params[p.Name] = true
				}
			}
		}
		out.Links = append(out.Links, ld)
	}
	if resp.Location.Len() > 0 {
		out.Location = resp.Location.String()
	}
	if out.Content == nil && len(out.Records) == 0 && len(out.Links) == 0 && len(resp.Payload) > 0 {
		out.Payload = resp.Payload
	}
	return out
}

// commandDTO is a stored command and, once answered, its result.
type commandDTO struct {
	ID            int64      `json:"id"`
	DeviceID      int64      `json:"device_id"`
	Endpoint      string     `json:"endpoint"`
	Op            string     `json:"op"`
	Path          string     `json:"path,omitempty"`
	Paths         []string   `json:"paths,omitempty"`
	Format        string     `json:"format,omitempty"`
	Args          string     `json:"args,omitempty"`
	State         string     `json:"state"`
	Attempts      int        `json:"attempts"`
	MaxAttempts   int        `json:"max_attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	Result        *resultDTO `json:"result,omitempty"`
	Error         string     `json:"error,omitempty"`
}

func toCommandDTO(c models.Command) commandDTO {
	req := c.Request
	out := commandDTO{ID: c.ID, DeviceID: c.DeviceID, Endpoint: c.Endpoint, Op: req.Op.String(),
		Paths: pathStrings(req.Paths), Args: req.Args, State: string(c.State), Attempts: c.Attempts,
		MaxAttempts: c.MaxAttempts, NextAttemptAt: timePtr(c.NextAttemptAt), ExpiresAt: timePtr(c.ExpiresAt),
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(), Error: c.Error}
	if !req.Op.IsComposite() {
		out.Path = req.Path.String()
	}
	if req.Format != lwm2m.FormatNone {
		out.Format = req.Format.String()
	}
	if c.Result != nil {
		r := toResultDTO(c.Endpoint, req, c.Result)
		r.CommandID = c.ID
		out.Result = &r
	}
	return out
}
