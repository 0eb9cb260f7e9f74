package api

import (
	"errors"
	"net/url"
	"slices"
	"testing"

	"github.com/shoal-iot/shoal/models"
)

// ?state= filters: repeated and comma-separated values are kept in order,
// none is no filter, and a state outside the list is a field error on
// "state" that says which states are allowed.
func TestStateFilter(t *testing.T) {
	q := url.Values{"state": {"failed,pending", "succeeded"}}
	got, err := stateFilter(q, deliveryStates, "pending, succeeded or failed")
	want := []models.DeliveryState{models.DeliveryFailed, models.DeliveryPending, models.DeliverySucceeded}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("stateFilter = %v, %v; want %v", got, err, want)
	}
	if got, err := stateFilter(url.Values{}, sessionStates, "running, finished or failed"); err != nil || got != nil {
		t.Fatalf("no ?state=: %v, %v; want nil, nil", got, err)
	}
	_, err = stateFilter(url.Values{"state": {"running,lost"}}, sessionStates, "running, finished or failed")
	var fe *fieldError
	if !errors.As(err, &fe) || fe.Field != "state" || fe.Msg != `"lost" is not running, finished or failed` {
		t.Fatalf("bad state: %v; want a field error on state", err)
	}
}
