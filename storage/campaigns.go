package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// CampaignRepo implements dm.CampaignStore.
type CampaignRepo struct{ s *Store }

var _ dm.CampaignStore = CampaignRepo{}

// Campaigns returns the campaign repository.
func (s *Store) Campaigns() CampaignRepo { return CampaignRepo{s} }

const campaignCols = "a.id, a.name, a.image_id, a.selection, a.concurrency, a.failure_threshold, a.state, a.start_after, a.stop_after, a.created_at, a.updated_at, a.options"

func scanCampaign(sc scanner) (models.Campaign, error) {
	var c models.Campaign
	var sel, state, opts string
	var start, stop, created, updated dbTime
	if err := sc.Scan(&c.ID, &c.Name, &c.ImageID, &sel, &c.Concurrency, &c.FailureThreshold, &state, &start, &stop, &created, &updated, &opts); err != nil {
		return c, err
	}
	c.State = models.CampaignState(state)
	c.StartAfter, c.StopAfter, c.CreatedAt, c.UpdatedAt = start.T, stop.T, created.T, updated.T
	if err := json.Unmarshal([]byte(sel), &c.Selection); err != nil {
		return c, fmt.Errorf("campaign %d: stored selection: %w", c.ID, err)
	}
	var o campaignOptions
	if err := json.Unmarshal([]byte(opts), &o); err != nil {
		return c, fmt.Errorf("campaign %d: stored options: %w", c.ID, err)
	}
	o.apply(&c)
	return c, nil
}

func campaignArgs(s *Store, c *models.Campaign) ([]any, error) {
	if c.Name == "" || c.ImageID == 0 {
		return nil, fmt.Errorf("%w: a campaign needs a name and an image", dm.ErrInvalid)
	}
	if c.Concurrency < 1 || c.FailureThreshold < 0 {
		return nil, fmt.Errorf("%w: concurrency %d, failure threshold %d", dm.ErrInvalid, c.Concurrency, c.FailureThreshold)
	}
	if c.State == "" {
		c.State = models.CampaignDraft
	}
	sel, err := json.Marshal(c.Selection)
	if err != nil {
		return nil, fmt.Errorf("%w: selection: %v", dm.ErrInvalid, err)
	}
	opts, err := optionsOf(c)
	if err != nil {
		return nil, err
	}
	return []any{c.Name, c.ImageID, string(sel), c.Concurrency, c.FailureThreshold, string(c.State), s.t(c.StartAfter), s.t(c.StopAfter), opts}, nil
}

// Create implements dm.CampaignStore.
func (r CampaignRepo) Create(ctx context.Context, c *models.Campaign) error {
	s := r.s
	what := fmt.Sprintf("create campaign %q", c.Name)
	args, err := campaignArgs(s, c)
	if err != nil {
		return s.wrap(err, what)
	}
	stamp(s, &c.CreatedAt, &c.UpdatedAt)
	err = s.w.QueryRowxContext(ctx, s.q(`INSERT INTO campaigns (name, image_id, selection, concurrency, failure_threshold, state, start_after, stop_after, options, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), append(args, s.t(c.CreatedAt), s.t(c.UpdatedAt))...).Scan(&c.ID)
	return s.wrap(err, what)
}

// Get implements dm.CampaignStore.
func (r CampaignRepo) Get(ctx context.Context, id int64) (models.Campaign, error) {
	c, err := scanCampaign(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+campaignCols+" FROM campaigns a WHERE a.id = ?"), id))
	return c, r.s.wrap(err, fmt.Sprintf("campaign %d", id))
}

// Update implements dm.CampaignStore.
func (r CampaignRepo) Update(ctx context.Context, c *models.Campaign) error {
	s := r.s
	what := fmt.Sprintf("update campaign %d", c.ID)
	args, err := campaignArgs(s, c)
	if err != nil {
		return s.wrap(err, what)
	}
	c.UpdatedAt = s.now()
	err = affected(s.w.ExecContext(ctx, s.q(`UPDATE campaigns SET name = ?, image_id = ?, selection = ?, concurrency = ?, failure_threshold = ?,
		state = ?, start_after = ?, stop_after = ?, options = ?, updated_at = ? WHERE id = ?`), append(args, s.t(c.UpdatedAt), c.ID)...))
	return s.wrap(err, what)
}

// Delete implements dm.CampaignStore.
func (r CampaignRepo) Delete(ctx context.Context, id int64) error {
	err := affected(r.s.w.ExecContext(ctx, r.s.q("DELETE FROM campaigns WHERE id = ?"), id))
	return r.s.wrapDelete(err, fmt.Sprintf("delete campaign %d", id))
}

// List implements dm.CampaignStore.
func (r CampaignRepo) List(ctx context.Context, p dm.PageRequest) (dm.Page[models.Campaign], error) {
	out, err := page(ctx, r.s, r.s.r, listQuery{cols: campaignCols, from: "campaigns a"}, p, func(rows *sql.Rows) (models.Campaign, int64, error) {
		c, err := scanCampaign(rows)
		return c, c.ID, err
	})
	return out, r.s.wrap(err, "list campaigns")
}

// campaignDeviceCols are a campaign device row (a) with its device's
// endpoint (d, joined by campaignDeviceFrom).
const campaignDeviceCols = "a.campaign_id, a.device_id, a.state, a.method, a.attempts, a.reason, a.started_at, a.finished_at, a.updated_at, " +
	"a.wave, a.deadline, a.next_attempt_at, a.detail, a.from_version, a.to_version, a.token_hash, d.endpoint"

const campaignDeviceFrom = "campaign_devices a JOIN devices d ON d.id = a.device_id"

func scanCampaignDevice(sc scanner) (models.CampaignDevice, error) {
	var d models.CampaignDevice
	var state string
	var started, finished, updated, deadline, next dbTime
	err := sc.Scan(&d.CampaignID, &d.DeviceID, &state, &d.Method, &d.Attempts, &d.Reason, &started, &finished, &updated,
		&d.Wave, &deadline, &next, &d.Detail, &d.FromVersion, &d.ToVersion, &d.TokenHash, &d.Endpoint)
	d.State, d.StartedAt, d.FinishedAt, d.UpdatedAt = models.CampaignDeviceState(state), started.T, finished.T, updated.T
	d.Deadline, d.NextAttemptAt = deadline.T, next.T
	return d, err
}

// PutDevice implements dm.CampaignStore.
func (r CampaignRepo) PutDevice(ctx context.Context, d *models.CampaignDevice) error {
	s := r.s
	what := fmt.Sprintf("put device %d of campaign %d", d.DeviceID, d.CampaignID)
	if d.State == "" {
		d.State = models.CampaignDevicePending
	}
	d.UpdatedAt = s.now()
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO campaign_devices (campaign_id, device_id, state, method, attempts, reason, started_at, finished_at, updated_at,
		wave, deadline, next_attempt_at, detail, from_version, to_version, token_hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (campaign_id, device_id) DO UPDATE SET state = excluded.state,
		method = excluded.method, attempts = excluded.attempts, reason = excluded.reason, started_at = excluded.started_at,
		finished_at = excluded.finished_at, updated_at = excluded.updated_at, wave = excluded.wave, deadline = excluded.deadline,
		next_attempt_at = excluded.next_attempt_at, detail = excluded.detail, from_version = excluded.from_version,
		to_version = excluded.to_version, token_hash = excluded.token_hash`),
		campaignDeviceArgs(s, d)...)
	return s.wrap(err, what)
}

func campaignDeviceArgs(s *Store, d *models.CampaignDevice) []any {
	return []any{d.CampaignID, d.DeviceID, string(d.State), d.Method, d.Attempts, d.Reason, s.t(d.StartedAt), s.t(d.FinishedAt), s.t(d.UpdatedAt),
		d.Wave, s.t(d.Deadline), s.t(d.NextAttemptAt), d.Detail, d.FromVersion, d.ToVersion, d.TokenHash}
}

// Devices implements dm.CampaignStore.
func (r CampaignRepo) Devices(ctx context.Context, campaignID int64, states []models.CampaignDeviceState, p dm.PageRequest) (dm.Page[models.CampaignDevice], error) {
	lq := listQuery{cols: campaignDeviceCols, from: campaignDeviceFrom, idCol: "a.device_id"}
	lq.w.add("a.campaign_id = ?", campaignID)
	in(&lq.w, "a.state", states)
	out, err := page(ctx, r.s, r.s.r, lq, p, func(rows *sql.Rows) (models.CampaignDevice, int64, error) {
		d, err := scanCampaignDevice(rows)
		return d, d.DeviceID, err
	})
	return out, r.s.wrap(err, fmt.Sprintf("devices of campaign %d", campaignID))
}

// Counts implements dm.CampaignStore.
func (r CampaignRepo) Counts(ctx context.Context, campaignID int64) (map[models.CampaignDeviceState]int64, error) {
	what := fmt.Sprintf("counts of campaign %d", campaignID)
	rows, err := r.s.r.QueryContext(ctx, r.s.q("SELECT state, count(*) FROM campaign_devices WHERE campaign_id = ? GROUP BY state"), campaignID)
	if err != nil {
		return nil, r.s.wrap(err, what)
	}
	defer rows.Close()
	out := map[models.CampaignDeviceState]int64{}
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, r.s.wrap(err, what)
		}
		out[models.CampaignDeviceState(st)] = n
	}
	return out, r.s.wrap(rows.Err(), what)
}
