package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

var _ dm.CampaignJobStore = CampaignRepo{}

// FirmwareStores returns the stores of dm's firmware feature.
func (s *Store) FirmwareStores() dm.FirmwareStores {
	return dm.FirmwareStores{Images: s.Firmware(), Campaigns: s.Campaigns(), Jobs: s.Campaigns()}
}

// campaignOptions is a campaign's options column: the settings and
// progress markers added after the first schema, as one JSON document.
type campaignOptions struct {
	Method      string          `json:"method,omitempty"`
	Waves       []int           `json:"waves,omitempty"`
	WaveDelay   models.Duration `json:"wave_delay,omitempty"`
	MaxAttempts int             `json:"max_attempts,omitempty"`
	ProfileID   int64           `json:"profile_id,omitempty"`
	StateReason string          `json:"state_reason,omitempty"`
	FailureBase int64           `json:"failure_base,omitempty"`
	Wave        int             `json:"wave,omitempty"`
	WaveReadyAt time.Time       `json:"wave_ready_at,omitzero"`
	StartedAt   time.Time       `json:"started_at,omitzero"`
	FinishedAt  time.Time       `json:"finished_at,omitzero"`
}

func optionsOf(c *models.Campaign) (string, error) {
	switch c.Method {
	case "", models.DeliveryPull, models.DeliveryPush:
	default:
		return "", fmt.Errorf("%w: method %q is neither pull nor push", dm.ErrInvalid, c.Method)
	}
	for i, w := range c.Waves {
		if w < 1 {
			return "", fmt.Errorf("%w: wave %d has %d devices", dm.ErrInvalid, i, w)
		}
	}
	if c.MaxAttempts < 0 || c.WaveDelay < 0 || c.Wave < 0 || c.FailureBase < 0 {
		return "", fmt.Errorf("%w: negative max attempts, wave delay, wave or failure base", dm.ErrInvalid)
	}
	// Times keep the precision of the time columns.
	us := func(t *time.Time) {
		if !t.IsZero() {
			*t = t.UTC().Truncate(time.Microsecond)
		}
	}
	us(&c.WaveReadyAt)
	us(&c.StartedAt)
	us(&c.FinishedAt)
	b, err := json.Marshal(campaignOptions{Method: c.Method, Waves: c.Waves, WaveDelay: c.WaveDelay, MaxAttempts: c.MaxAttempts,
		ProfileID: c.ProfileID, StateReason: c.StateReason, FailureBase: c.FailureBase, Wave: c.Wave,
		WaveReadyAt: c.WaveReadyAt, StartedAt: c.StartedAt, FinishedAt: c.FinishedAt})
	return string(b), err
}

func (o campaignOptions) apply(c *models.Campaign) {
	c.Method, c.Waves, c.WaveDelay, c.MaxAttempts, c.ProfileID = o.Method, o.Waves, o.WaveDelay, o.MaxAttempts, o.ProfileID
	c.StateReason, c.FailureBase, c.Wave, c.WaveReadyAt = o.StateReason, o.FailureBase, o.Wave, o.WaveReadyAt
	c.StartedAt, c.FinishedAt = o.StartedAt, o.FinishedAt
}

// addDevicesBatch bounds the rows of one INSERT (PostgreSQL allows 65535
// parameters; a row has 16).
const addDevicesBatch = 500

// AddDevices implements dm.CampaignJobStore.
func (r CampaignRepo) AddDevices(ctx context.Context, ds []models.CampaignDevice) (int64, error) {
	s := r.s
	if len(ds) == 0 {
		return 0, nil
	}
	what := fmt.Sprintf("add %d devices to campaign %d", len(ds), ds[0].CampaignID)
	now := s.now()
	var n int64
	err := s.inTx(ctx, func(tx *sqlTx) error {
		for start := 0; start < len(ds); start += addDevicesBatch {
			part := ds[start:min(start+addDevicesBatch, len(ds))]
			q := `INSERT INTO campaign_devices (campaign_id, device_id, state, method, attempts, reason, started_at, finished_at, updated_at,
				wave, deadline, next_attempt_at, detail, from_version, to_version, token_hash) VALUES `
			var args []any
			for i := range part {
				d := &part[i]
				if d.State == "" {
					d.State = models.CampaignDevicePending
				}
				d.UpdatedAt = now
				if i > 0 {
					q += ", "
				}
				q += placeholders(16)
				args = append(args, campaignDeviceArgs(s, d)...)
			}
			res, err := tx.ExecContext(ctx, s.q(q+" ON CONFLICT (campaign_id, device_id) DO NOTHING"), args...)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += k
		}
		return nil
	})
	return n, s.wrap(err, what)
}

// GetDevice implements dm.CampaignJobStore.
func (r CampaignRepo) GetDevice(ctx context.Context, campaignID, deviceID int64) (models.CampaignDevice, error) {
	d, err := scanCampaignDevice(r.s.r.QueryRowxContext(ctx, r.s.q("SELECT "+campaignDeviceCols+" FROM "+campaignDeviceFrom+
		" WHERE a.campaign_id = ? AND a.device_id = ?"), campaignID, deviceID))
	return d, r.s.wrap(err, fmt.Sprintf("device %d of campaign %d", deviceID, campaignID))
}

var activeStates = []models.CampaignDeviceState{models.CampaignDeviceDownloading, models.CampaignDeviceDownloaded, models.CampaignDeviceUpdating}

// Active implements dm.CampaignJobStore.
func (r CampaignRepo) Active(ctx context.Context) ([]models.CampaignDevice, error) {
	var w where
	in(&w, "a.state", activeStates)
	out, err := r.devices(ctx, "SELECT "+campaignDeviceCols+" FROM "+campaignDeviceFrom+w.sql()+" ORDER BY a.campaign_id, a.device_id", w.args...)
	return out, r.s.wrap(err, "active campaign devices")
}

// NextWave implements dm.CampaignJobStore.
func (r CampaignRepo) NextWave(ctx context.Context, campaignID int64) (int, bool, error) {
	var w where
	w.add("campaign_id = ?", campaignID)
	in(&w, "state", append([]models.CampaignDeviceState{models.CampaignDevicePending}, activeStates...))
	var wave sql.NullInt64
	err := r.s.r.QueryRowxContext(ctx, r.s.q("SELECT min(wave) FROM campaign_devices"+w.sql()), w.args...).Scan(&wave)
	if err != nil {
		return 0, false, r.s.wrap(err, fmt.Sprintf("next wave of campaign %d", campaignID))
	}
	return int(wave.Int64), wave.Valid, nil
}

// Pending implements dm.CampaignJobStore.
func (r CampaignRepo) Pending(ctx context.Context, campaignID int64, wave int, after int64, now time.Time, limit int) ([]models.CampaignDevice, error) {
	s := r.s
	limit, err := pageLimit(limit)
	if err != nil {
		return nil, err
	}
	out, err := r.devices(ctx, "SELECT "+campaignDeviceCols+" FROM "+campaignDeviceFrom+
		" WHERE a.campaign_id = ? AND a.state = ? AND a.wave = ? AND a.device_id > ? AND (a.next_attempt_at IS NULL OR a.next_attempt_at <= ?)"+
		" ORDER BY a.device_id LIMIT ?", campaignID, string(models.CampaignDevicePending), wave, after, s.t(now), limit)
	return out, s.wrap(err, fmt.Sprintf("pending devices of campaign %d", campaignID))
}

// FinishPending implements dm.CampaignJobStore.
func (r CampaignRepo) FinishPending(ctx context.Context, campaignID int64, state models.CampaignDeviceState, reason string, at time.Time) (int64, error) {
	s := r.s
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE campaign_devices SET state = ?, reason = ?, finished_at = ?, updated_at = ?
		WHERE campaign_id = ? AND state = ?`), string(state), reason, s.t(at), s.t(s.now()), campaignID, string(models.CampaignDevicePending))
	if err != nil {
		return 0, s.wrap(err, fmt.Sprintf("finish pending devices of campaign %d", campaignID))
	}
	n, err := res.RowsAffected()
	return n, s.wrap(err, fmt.Sprintf("finish pending devices of campaign %d", campaignID))
}

// ByDevice implements dm.CampaignJobStore.
func (r CampaignRepo) ByDevice(ctx context.Context, deviceID int64) ([]models.CampaignDevice, error) {
	out, err := r.devices(ctx, "SELECT "+campaignDeviceCols+" FROM "+campaignDeviceFrom+" WHERE a.device_id = ? ORDER BY a.campaign_id DESC", deviceID)
	return out, r.s.wrap(err, fmt.Sprintf("campaigns of device %d", deviceID))
}

func (r CampaignRepo) devices(ctx context.Context, query string, args ...any) ([]models.CampaignDevice, error) {
	rows, err := r.s.r.QueryxContext(ctx, r.s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []models.CampaignDevice
	for rows.Next() {
		d, err := scanCampaignDevice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
