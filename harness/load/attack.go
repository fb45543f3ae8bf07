package load

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Target is the registry the load talks to.
type Target struct {
	URL string // API base, e.g. http://127.0.0.1:5000
	// SingleRequestUpload: the registry completes POST ?digest= with a body (201).
	SingleRequestUpload bool
	Client              *http.Client // optional; its Transport is reused
	Header              http.Header  // optional, added to every request (e.g. Authorization)
	// Resolve, when set, gives the current API base for every hit instead
	// of URL (a restarted registry may come back on another host port).
	Resolve func() string
}

// Hit is one paced operation's outcome, for live progress and plots.
type Hit struct {
	Op      string        `json:"op"`
	At      time.Time     `json:"at"`
	Latency time.Duration `json:"latency"`
	Code    int           `json:"code"`
	Error   string        `json:"error,omitempty"`
}

// Result of one load phase.
type Result struct {
	Profile Profile        `json:"profile"`
	Metrics vegeta.Metrics `json:"metrics"`
	Hits    []Hit          `json:"hits"`
	Seeded  int            `json:"seeded"` // ledger entries made while seeding
}

// Run seeds what p needs, then attacks target with p's pacing until p's
// count or duration is reached or ctx ends. Every success is recorded in
// ledger; onHit (optional) sees every hit as it completes.
func Run(ctx context.Context, target Target, p Profile, ledger *Ledger, onHit func(Hit)) (*Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	p = p.withDefaults()
	r := &runner{p: p, target: target, ledger: ledger, run: uuid.NewString()[:8]}
	r.client = r.httpClient()
	before := ledger.Len()
	if err := r.seed(ctx); err != nil {
		return nil, fmt.Errorf("load %s: seeding: %w", p.Op, err)
	}
	res := &Result{Profile: p, Seeded: ledger.Len() - before}
	pacer, err := p.Pacing.Pacer()
	if err != nil {
		return nil, err
	}
	atk := vegeta.NewAttacker(
		vegeta.Client(r.client),
		vegeta.Workers(p.Workers),
		vegeta.MaxWorkers(p.MaxWorkers),
		vegeta.MaxBody(4096),
	)
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	for vr := range atk.Attack(r.targeter(), pacer, p.Duration, p.Op) {
		if vr.Method == "" { // the targeter ran dry: count reached
			continue
		}
		res.Metrics.Add(vr)
		h := Hit{Op: p.Op, At: vr.Timestamp, Latency: vr.Latency, Code: int(vr.Code), Error: vr.Error}
		res.Hits = append(res.Hits, h)
		r.record(vr, vr.Code >= 200 && vr.Code < 300)
		if onHit != nil {
			onHit(h)
		}
	}
	res.Metrics.Close()
	return res, nil
}

type runner struct {
	p      Profile
	target Target
	ledger *Ledger
	client *http.Client
	run    string

	seq      atomic.Uint64
	byURL    owedByURL // URL -> what the hits in flight there owe, oldest first
	config   []v1.Descriptor
	layer    []v1.Descriptor
	seeded   [][]v1.Descriptor // per repository: manifests for pull/delete
	seededTg [][]string        // their tags
}

func (r *runner) repo(i uint64) string {
	return fmt.Sprintf("%s-%d", r.p.RepoPrefix, i%uint64(r.p.Repositories))
}

func (r *runner) base() string {
	if r.target.Resolve != nil {
		return strings.TrimRight(r.target.Resolve(), "/")
	}
	return strings.TrimRight(r.target.URL, "/")
}

func (r *runner) single() bool {
	switch r.p.Upload {
	case "single":
		return true
	case "two-step":
		return false
	}
	return r.target.SingleRequestUpload
}

func (r *runner) httpClient() *http.Client {
	var inner http.RoundTripper = http.DefaultTransport
	if r.target.Client != nil && r.target.Client.Transport != nil {
		inner = r.target.Client.Transport
	} else {
		inner = &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	}
	return &http.Client{
		Timeout:   r.p.Timeout,
		Transport: &uploadTransport{inner: inner, header: r.target.Header},
		// Registries answer uploads with Location; never follow it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// seed pushes the blobs every manifest references and, for pull and delete
// load, the manifests to act on. Seeding always uses the portable two-step
// upload and never GET/HEAD (those would make pull events).
func (r *runner) seed(ctx context.Context) error {
	if r.p.Op == OpBlobPush {
		return nil
	}
	for i := 0; i < r.p.Repositories; i++ {
		repo := r.repo(uint64(i))
		cfg := []byte(fmt.Sprintf(`{"hookbench":"%s","repo":%d}`, r.run, i))
		cd, err := r.pushBlob(ctx, repo, cfg, v1.MediaTypeImageConfig)
		if err != nil {
			return err
		}
		ld, err := r.pushBlob(ctx, repo, blobContent(r.run+"-layer", uint64(i), r.p.BlobSize), v1.MediaTypeImageLayer)
		if err != nil {
			return err
		}
		r.config = append(r.config, cd)
		r.layer = append(r.layer, ld)
	}
	n := 0
	switch r.p.Op {
	case OpPull:
		n = r.p.PullManifests * r.p.Repositories
	case OpDelete:
		n = r.p.Count
	}
	r.seeded = make([][]v1.Descriptor, r.p.Repositories)
	r.seededTg = make([][]string, r.p.Repositories)
	for k := 0; k < n; k++ {
		i := k % r.p.Repositories
		repo := r.repo(uint64(i))
		body, dg := manifestContent(r.run+"-seed", uint64(k), r.config[i], r.layer[i])
		tag := fmt.Sprintf("seed-%s-%d", r.run, k)
		if err := r.putManifest(ctx, repo, tag, body); err != nil {
			return err
		}
		r.ledger.Add(Entry{Action: "push", Kind: "manifest", Repository: repo, Digest: dg.String(), Tag: tag, MediaType: MediaTypeManifest, At: time.Now(), Seeded: true})
		r.seeded[i] = append(r.seeded[i], v1.Descriptor{MediaType: MediaTypeManifest, Digest: dg, Size: int64(len(body))})
		r.seededTg[i] = append(r.seededTg[i], tag)
	}
	return nil
}

func (r *runner) do(ctx context.Context, method, u string, body []byte, ctype string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode/100 != 2 {
		return resp, fmt.Errorf("%s %s: %s: %s", method, u, resp.Status, strings.TrimSpace(string(msg)))
	}
	return resp, nil
}

func (r *runner) pushBlob(ctx context.Context, repo string, b []byte, mt string) (v1.Descriptor, error) {
	d := digest.FromBytes(b)
	u := fmt.Sprintf("%s/v2/%s/blobs/uploads/?digest=%s", r.base(), repo, d)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return v1.Descriptor{}, err
	}
	req.Header.Set(twoStepHeader, "1")
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := r.client.Do(req)
	if err != nil {
		return v1.Descriptor{}, err
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return v1.Descriptor{}, fmt.Errorf("blob upload to %s: %s: %s", repo, resp.Status, strings.TrimSpace(string(msg)))
	}
	r.ledger.Add(Entry{Action: "push", Kind: "blob", Repository: repo, Digest: d.String(), MediaType: MediaTypeBlob, At: time.Now(), Seeded: true})
	return v1.Descriptor{MediaType: mt, Digest: d, Size: int64(len(b))}, nil
}

func (r *runner) putManifest(ctx context.Context, repo, ref string, body []byte) error {
	resp, err := r.do(ctx, http.MethodPut, fmt.Sprintf("%s/v2/%s/manifests/%s", r.base(), repo, ref), body, MediaTypeManifest)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("manifest PUT %s:%s: %s, want 201 Created", repo, ref, resp.Status)
	}
	return nil
}

// targeter makes one target per hit (unique unless Profile.Distinct
// repeats manifests) and remembers what a success there owes.
func (r *runner) targeter() vegeta.Targeter {
	return func(t *vegeta.Target) error {
		n := r.seq.Add(1) - 1
		if r.p.Count > 0 && n >= uint64(r.p.Count) {
			return vegeta.ErrNoTargets
		}
		i := n % uint64(r.p.Repositories)
		repo := r.repo(n)
		now := time.Now()
		t.Header = http.Header{}
		switch r.p.Op {
		case OpManifestPush:
			k := n // content and tag index
			if r.p.Distinct > 0 {
				k = (n / uint64(r.p.Repositories)) % uint64(r.p.Distinct)
			}
			body, dg := manifestContent(r.run, k, r.config[i], r.layer[i])
			tag := fmt.Sprintf("p-%s-%d", r.run, k)
			t.Method, t.Body = http.MethodPut, body
			t.URL = fmt.Sprintf("%s/v2/%s/manifests/%s", r.base(), repo, tag)
			t.Header.Set("Content-Type", MediaTypeManifest)
			r.byURL.push(t.URL, []Entry{{Action: "push", Kind: "manifest", Repository: repo, Digest: dg.String(), Tag: tag, MediaType: MediaTypeManifest, At: now}})
		case OpBlobPush:
			body := blobContent(r.run, n, r.p.BlobSize)
			d := digest.FromBytes(body)
			t.Method, t.Body = http.MethodPost, body
			t.URL = fmt.Sprintf("%s/v2/%s/blobs/uploads/?digest=%s", r.base(), repo, d)
			t.Header.Set("Content-Type", "application/octet-stream")
			if !r.single() {
				t.Header.Set(twoStepHeader, "1")
			}
			r.byURL.push(t.URL, []Entry{{Action: "push", Kind: "blob", Repository: repo, Digest: d.String(), MediaType: MediaTypeBlob, At: now}})
		case OpPull:
			ms := r.seeded[i]
			m := ms[(n/uint64(r.p.Repositories))%uint64(len(ms))]
			t.Method = r.p.Method
			t.URL = fmt.Sprintf("%s/v2/%s/manifests/%s", r.base(), repo, m.Digest)
			t.Header.Set("Accept", MediaTypeManifest)
			// Pulls repeat URLs: the entry is rebuilt from the URL in record.
		case OpDelete:
			k := n / uint64(r.p.Repositories)
			m, tag := r.seeded[i][k], r.seededTg[i][k]
			t.Method = http.MethodDelete
			t.URL = fmt.Sprintf("%s/v2/%s/manifests/%s", r.base(), repo, m.Digest)
			es := []Entry{{Action: "delete", Kind: "manifest", Repository: repo, Digest: m.Digest.String(), At: now}}
			if !r.p.NoTagDeleteEvents {
				es = append(es, Entry{Action: "delete", Kind: "tag", Repository: repo, Tag: tag, At: now})
			}
			r.byURL.push(t.URL, es)
		}
		return nil
	}
}

// record settles one hit's result: every hit made for a URL pops what it
// owes there (so failures do not pile up), and a success adds it to the
// ledger. Hits at the same URL owe identical entries, so which of them
// pops which group only moves an At by the time between them.
func (r *runner) record(vr *vegeta.Result, ok bool) {
	if r.p.Op == OpPull {
		if !ok {
			return
		}
		u, err := url.Parse(vr.URL)
		if err != nil {
			return
		}
		repo, ref, ok := strings.Cut(strings.TrimPrefix(u.Path, "/v2/"), "/manifests/")
		if !ok {
			return
		}
		r.ledger.Add(Entry{Action: "pull", Kind: "manifest", Repository: repo, Digest: ref, MediaType: MediaTypeManifest, At: vr.Timestamp})
		return
	}
	if es, owed := r.byURL.pop(vr.URL); owed && ok {
		r.ledger.Add(es...)
	}
}

// twoStepHeader marks a blob upload target that uploadTransport performs as
// the portable POST-then-PUT, so that one vegeta hit is one whole upload.
const twoStepHeader = "X-Hookbench-Two-Step"

type uploadTransport struct {
	inner  http.RoundTripper
	header http.Header
}

func (t *uploadTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, vs := range t.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if req.Header.Get(twoStepHeader) == "" {
		return t.inner.RoundTrip(req)
	}
	req.Header.Del(twoStepHeader)
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	dg := req.URL.Query().Get("digest")
	// Step 1: POST without digest or body opens an upload session.
	start := req.Clone(req.Context())
	start.URL.RawQuery = ""
	start.Body, start.ContentLength = http.NoBody, 0
	start.Header.Del("Content-Type")
	resp, err := t.inner.RoundTrip(start)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusAccepted {
		return resp, nil // the caller sees the registry's answer as is
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		return nil, fmt.Errorf("upload POST answered 202 without a usable Location: %w", err)
	}
	q := loc.Query()
	q.Set("digest", dg)
	loc.RawQuery = q.Encode()
	// Step 2: PUT the whole body and the digest.
	put, err := http.NewRequestWithContext(req.Context(), http.MethodPut, loc.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, vs := range req.Header {
		put.Header[k] = vs
	}
	put.Header.Set("Content-Type", "application/octet-stream")
	return t.inner.RoundTrip(put)
}
