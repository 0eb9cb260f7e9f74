package api

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gorilla/mux"
)

// queryID reads an optional positive id parameter (0 when absent).
func queryID(q url.Values, name string) (int64, error) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, badField(name, "%q is not an id", v)
	}
	return n, nil
}

// timeRange reads ?from= and ?to=.
func timeRange(q url.Values) (from, to time.Time, err error) {
	now := time.Now()
	if from, err = queryTime(q, "from", now); err != nil {
		return
	}
	to, err = queryTime(q, "to", now)
	return
}

// refVar is a route variable naming a record by id or name.
func refVar(r *http.Request, name string) string { return mux.Vars(r)[name] }
