package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/shoal-iot/shoal/dm"
	"github.com/shoal-iot/shoal/models"
)

// webhookDTO is a webhook channel; its secret is never shown.
type webhookDTO struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name,omitempty"`
	URL        string    `json:"url"`
	EventTypes []string  `json:"event_types"`
	AlarmTypes []string  `json:"alarm_types"`
	CustomerID int64     `json:"customer_id,omitempty"`
	Disabled   bool      `json:"disabled"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func toWebhookDTO(c models.WebhookChannel) webhookDTO {
	out := webhookDTO{ID: c.ID, Name: c.Name, URL: c.URL, EventTypes: c.EventTypes, AlarmTypes: c.AlarmTypes,
		CustomerID: c.CustomerID, Disabled: c.Disabled, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
	if out.EventTypes == nil {
		out.EventTypes = []string{}
	}
	if out.AlarmTypes == nil {
		out.AlarmTypes = []string{}
	}
	return out
}

// webhookBodyDTO creates or patches a channel.
type webhookBodyDTO struct {
	Name       *string  `json:"name"`
	URL        *string  `json:"url"`
	Secret     *string  `json:"secret"`
	EventTypes []string `json:"event_types"`
	AlarmTypes []string `json:"alarm_types"`
	Customer   *int64   `json:"customer"`
	Disabled   *bool    `json:"disabled"`
}

// createdWebhookDTO answers POST /webhooks; secret is set when Shoal
// generated it, and shown this once.
type createdWebhookDTO struct {
	Webhook webhookDTO `json:"webhook"`
	Secret  string     `json:"secret,omitempty"`
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	return listPage(w, r, s.svc.ListWebhooks, toWebhookDTO)
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var body webhookBodyDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return err
	}
	in := dm.WebhookInput{EventTypes: body.EventTypes, AlarmTypes: body.AlarmTypes}
	if body.Name != nil {
		in.Name = *body.Name
	}
	if body.URL != nil {
		in.URL = *body.URL
	}
	if body.Secret != nil {
		if *body.Secret == "" {
			return badField("secret", "leave it out to have one generated")
		}
		in.Secret = *body.Secret
	}
	if body.Customer != nil {
		in.Customer = *body.Customer
	}
	if body.Disabled != nil {
		in.Disabled = *body.Disabled
	}
	c, secret, err := s.svc.CreateWebhook(r.Context(), who(r), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", V1+"/webhooks/"+strconv.FormatInt(c.ID, 10))
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, createdWebhookDTO{Webhook: toWebhookDTO(c), Secret: secret})
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	c, err := s.svc.GetWebhook(r.Context(), who(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toWebhookDTO(c))
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	var body webhookBodyDTO
	if err := s.decodeBody(w, r, &body); err != nil {
		return err
	}
	if body.Customer != nil {
		return badField("customer", "a channel's customer cannot change; create another channel")
	}
	c, err := s.svc.UpdateWebhook(r.Context(), who(r), id, dm.WebhookPatch{Name: body.Name, URL: body.URL, Secret: body.Secret,
		EventTypes: body.EventTypes, AlarmTypes: body.AlarmTypes, Disabled: body.Disabled})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toWebhookDTO(c))
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	return deleteByID(w, r, s.svc.DeleteWebhook)
}

// deliveryDTO is one entry of a channel's delivery log.
type deliveryDTO struct {
	ID            int64      `json:"id"`
	EventID       int64      `json:"event_id,omitempty"`
	EventType     string     `json:"event_type"`
	State         string     `json:"state"`
	Attempts      int        `json:"attempts"`
	MaxAttempts   int        `json:"max_attempts"`
	StatusCode    int        `json:"status_code,omitempty"`
	Error         string     `json:"error,omitempty"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

func toDeliveryDTO(d models.WebhookDelivery) deliveryDTO {
	out := deliveryDTO{ID: d.ID, EventID: d.EventID, EventType: d.EventType, State: string(d.State), Attempts: d.Attempts,
		MaxAttempts: d.MaxAttempts, StatusCode: d.StatusCode, Error: d.Error, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC()}
	if d.State == models.DeliveryPending {
		out.NextAttemptAt = optTime(d.NextAttemptAt)
	}
	return out
}

var deliveryStates = []models.DeliveryState{models.DeliveryPending, models.DeliverySucceeded, models.DeliveryFailed}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	id, err := idVar(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	pr, err := pageRequest(q)
	if err != nil {
		return err
	}
	states, err := stateFilter(q, deliveryStates, "pending, succeeded or failed")
	if err != nil {
		return err
	}
	page, err := s.svc.ListDeliveries(r.Context(), who(r), id, states, pr)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toPage(page, toDeliveryDTO))
}
