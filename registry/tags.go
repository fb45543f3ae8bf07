package registry

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/hookbench/hookbench/registry/storage"
)

// tags serves GET /v2/<name>/tags/list?n=&last=.
func (q *request) tags() {
	if q.r.Method != http.MethodGet && q.r.Method != http.MethodHead {
		q.methodNotAllowed()
		return
	}
	all, err := q.reg.store.Tags(q.ctx, q.name)
	if errors.Is(err, storage.ErrRepositoryUnknown) {
		writeError(q.w, errNameUnknown, "repository name not known to registry", map[string]string{"name": q.name})
		return
	}
	if err != nil {
		q.internalError(err)
		return
	}
	page, next, ok := q.paginate(all)
	if !ok {
		return
	}
	q.writeList(q.reg.base+q.name+"/tags/list", next, struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}{q.name, page})
}

// catalog serves GET /v2/_catalog?n=&last=.
func (q *request) catalog() {
	if q.r.Method != http.MethodGet && q.r.Method != http.MethodHead {
		q.methodNotAllowed()
		return
	}
	all, err := q.reg.store.Repositories(q.ctx)
	if err != nil {
		q.internalError(err)
		return
	}
	page, next, ok := q.paginate(all)
	if !ok {
		return
	}
	q.writeList(q.reg.base+"_catalog", next, struct {
		Repositories []string `json:"repositories"`
	}{page})
}

// paginate cuts the sorted list after ?last= to at most ?n= entries, and
// returns the query of the next page when there is one.
func (q *request) paginate(all []string) (page []string, next url.Values, ok bool) {
	query := q.r.URL.Query()
	if last := query.Get("last"); last != "" {
		i := sort.SearchStrings(all, last)
		if i < len(all) && all[i] == last {
			i++
		}
		all = all[i:]
	}
	page = all
	if ns := query.Get("n"); ns != "" {
		n, err := strconv.Atoi(ns)
		if err != nil || n < 0 {
			writeError(q.w, errPaginationInvalid, "invalid number of results requested", map[string]string{"n": ns})
			return nil, nil, false
		}
		if n < len(all) {
			page = all[:n]
			if n > 0 {
				next = url.Values{"n": {ns}, "last": {page[n-1]}}
			}
		}
	}
	if page == nil {
		page = []string{}
	}
	return page, next, true
}

func (q *request) writeList(path string, next url.Values, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		q.internalError(err)
		return
	}
	h := q.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if next != nil {
		h.Set("Link", "<"+path+"?"+next.Encode()+`>; rel="next"`)
	}
	q.w.WriteHeader(http.StatusOK)
	if q.r.Method == http.MethodGet {
		q.w.Write(body)
	}
}
