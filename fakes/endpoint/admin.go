package endpoint

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// AdminHandler serves the admin API (see the package doc).
func (s *Server) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, s.Stats()) })
	mux.HandleFunc("GET /ledger", func(w http.ResponseWriter, r *http.Request) {
		f, err := filterFromQuery(r)
		if err != nil {
			adminError(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, s.Ledger(f))
	})
	mux.HandleFunc("GET /fault", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, s.Profile()) })
	mux.HandleFunc("PUT /fault", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			adminError(w, http.StatusBadRequest, err)
			return
		}
		p, err := ParseProfile(b)
		if err == nil {
			err = s.SetProfile(p)
		}
		if err != nil {
			adminError(w, http.StatusBadRequest, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /reset", func(w http.ResponseWriter, _ *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

func filterFromQuery(r *http.Request) (Filter, error) {
	q := r.URL.Query()
	f := Filter{ID: q.Get("id"), Repository: q.Get("repository"), Action: q.Get("action"), Outcome: q.Get("outcome")}
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return Filter{}, fmt.Errorf("since %q: want RFC 3339 time", v)
		}
		f.Since = t
	}
	return f, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// adminError answers {"error": "..."}.
func adminError(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}
