package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Target is the registry the load talks to, and what it declares about
// itself that changes which events an operation owes.
type Target struct {
	URL string // API base, e.g. http://127.0.0.1:5000
	// SingleRequestUpload: the registry completes POST ?digest= with a
	// body (201). Without it (CNCF Distribution answers 202 and ignores the
	// body) blob-upload-single-post finishes with the portable PUT, owes a
	// PUT event, and says so in Result.Declared.
	SingleRequestUpload bool
	// NoTagQuery: PUT by digest ignores ?tag= (a registry before
	// distribution-spec's multi-tag push). manifest-push-tags then owes one
	// push event without a tag instead of one per tag (Result.Declared).
	NoTagQuery bool
	// IncludeReferences: the registry runs with
	// notifications.events.includereferences, so manifest events carry
	// the manifest's references (config and layers, or an index's
	// manifests); without it they carry none.
	IncludeReferences bool
	// EventURLBase: the registry's http.host when set (event URLs start
	// with it); default the scheme and host the load requests.
	EventURLBase string
	// SourceAddr events carry (the registry's hostname:port); "" leaves
	// source.addr unchecked: the load cannot know the registry's hostname.
	SourceAddr string
	Client     *http.Client // optional; its Transport is reused
	Header     http.Header  // optional, added to every request (e.g. Authorization)
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
	// Declared lists where the registry's declared differences (Target)
	// changed what an operation owes: tolerances in data, never silent.
	Declared []string `json:"declared,omitempty"`
}

// Run seeds what p needs, then attacks target with p's pacing until p's
// count or duration is reached or ctx ends. Every request that succeeds
// records in ledger the events it owes, with their content; onHit
// (optional) sees every hit as it completes.
func Run(ctx context.Context, target Target, p Profile, ledger *Ledger, onHit func(Hit)) (*Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	p = p.withDefaults()
	r := &runner{p: p, target: target, ledger: ledger, run: uuid.NewString()[:8], sched: p.schedule()}
	r.actor, r.actorKnown = actorOf(target.Header)
	r.direct = r.httpClient(nil, p.Timeout)
	// Hits' requests carry the hit's deadline in their context
	// (hitTransport), so their client needs no timeout of its own: a
	// client timeout costs a timer per request.
	r.bounded = r.httpClient(nil, 0)
	r.client = r.httpClient(r, 0)
	r.repos = make([]string, p.Repositories)
	for i := range r.repos {
		r.repos[i] = p.RepoPrefix + "-" + strconv.Itoa(i)
	}
	if target.Resolve == nil {
		r.apiBase = strings.TrimRight(target.URL, "/")
		r.host = hostOf(r.apiBase)
	}
	r.manifestHdr = http.Header{"Content-Type": {MediaTypeManifest}}
	before := ledger.Len()
	if err := r.seed(ctx); err != nil {
		return nil, fmt.Errorf("load %s: seeding: %w", p.Op, err)
	}
	r.prepare()
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
		op := p.Op
		if i := strings.LastIndexByte(vr.URL, '/'); i >= 0 {
			op = vr.URL[i+1:]
		}
		h := Hit{Op: op, At: vr.Timestamp, Latency: vr.Latency, Code: int(vr.Code), Error: vr.Error}
		res.Hits = append(res.Hits, h)
		if onHit != nil {
			onHit(h)
		}
	}
	res.Metrics.Close()
	res.Declared = r.declaredList()
	return res, nil
}

type runner struct {
	p          Profile
	target     Target
	ledger     *Ledger
	client     *http.Client // vegeta's: one hit is one whole operation
	direct     *http.Client // the operation's own requests while seeding
	bounded    *http.Client // a hit's own requests, bounded by the hit's deadline
	transport  *http.Transport
	run        string
	sched      []string
	actor      string
	actorKnown bool

	seq     atomic.Uint64
	seedSeq atomic.Uint64
	// Per repository, made by seeding.
	config, layer, empty, base []v1.Descriptor
	seeded                     [][]v1.Descriptor // manifests for legacy pull/delete
	seededTg                   [][]string        // their tags

	// Made once so that a hit does not format them again.
	repos       []string // repository names by index
	apiBase     string   // the API base, without Target.Resolve
	host        string   // apiBase's host
	manifestHdr http.Header
	images      []image // per repository, for manifest-push (after seeding)

	mu       sync.Mutex
	declared map[string]bool
}

// image is what a manifest-push hit to one repository needs: the
// references its events owe, and its manifest as a template (ok false:
// marshal it every time).
type image struct {
	refs []v1.Descriptor
	tmpl manifestTemplate
	ok   bool
}

// prepare makes what manifest-push hits share, once seeding is done.
func (r *runner) prepare() {
	if r.p.Op != OpManifestPush {
		return
	}
	r.images = make([]image, len(r.config))
	for i := range r.images {
		im := &r.images[i]
		im.refs = []v1.Descriptor{r.config[i], r.layer[i]}
		im.tmpl, im.ok = newManifestTemplate(r.run, r.config[i], r.layer[i])
	}
}

func (r *runner) repo(i uint64) string {
	return r.repos[i%uint64(len(r.repos))]
}

// mountSource is the repository blob-mount hits upload to and mount from.
func (r *runner) mountSource() string { return r.p.RepoPrefix + "-src" }

func (r *runner) baseURL() string {
	if r.target.Resolve != nil {
		return strings.TrimRight(r.target.Resolve(), "/")
	}
	return r.apiBase
}

// hostOf is the host[:port] of an API base URL ("" when it does not parse).
func hostOf(base string) string {
	if u, err := url.Parse(base); err == nil {
		return u.Host
	}
	return ""
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

func (r *runner) declare(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.declared == nil {
		r.declared = map[string]bool{}
	}
	r.declared[s] = true
}

func (r *runner) declaredList() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.declared))
	for s := range r.declared {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// httpClient is the client of the operations' requests (hits == nil) or
// vegeta's client, whose every request is one whole operation.
func (r *runner) httpClient(hits *runner, timeout time.Duration) *http.Client {
	var rt http.RoundTripper
	switch {
	case hits != nil:
		rt = &hitTransport{r: hits}
	case r.target.Client != nil && r.target.Client.Transport != nil:
		rt = r.target.Client.Transport
	default:
		// One transport for the seeding and the hits' clients alike.
		if r.transport == nil {
			r.transport = &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
		}
		rt = r.transport
	}
	if hits == nil && len(r.target.Header) > 0 {
		rt = &headerTransport{inner: rt, header: r.target.Header}
	}
	return &http.Client{
		Timeout:   timeout,
		Transport: rt,
		// Registries answer uploads with Location; never follow it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// actorOf is the actor.name events carry for requests with h: the user of
// Basic auth, "" without auth, unknown (false) for any other scheme.
func actorOf(h http.Header) (string, bool) {
	a := h.Get("Authorization")
	if a == "" {
		return "", true
	}
	req := &http.Request{Header: http.Header{"Authorization": {a}}}
	if user, _, ok := req.BasicAuth(); ok {
		return user, true
	}
	return "", false
}

// userAgent names the operation and hit, so that an event nobody owes
// still tells which operation caused it (Event.Op).
func (r *runner) userAgent(op string, n uint64) string {
	return "hookbench-load/1 (op=" + op + "; run=" + r.run + "; hit=" + strconv.FormatUint(n, 10) + ")"
}

// hit is one operation in progress: its requests share base and user agent.
type hit struct {
	op   string
	n    uint64
	base string
	host string // base's
	ua   string
}

func (r *runner) newHit(op string, n uint64) *hit {
	h := &hit{op: op, n: n, base: r.apiBase, host: r.host, ua: r.userAgent(op, n)}
	if r.target.Resolve != nil {
		h.base = r.baseURL()
		h.host = hostOf(h.base)
	}
	return h
}

// entry starts what a request of h owes: the fields every event has.
func (r *runner) entry(h *hit, method, action, kind, repo string) Entry {
	e := Entry{Op: h.op, Action: action, Kind: kind, Repository: repo, Method: method, UserAgent: h.ua,
		Actor: r.actor, SourceAddr: r.target.SourceAddr, At: time.Now(), Seeded: h.op == OpSeed, Host: h.host}
	if !r.actorKnown {
		e.Unchecked = append(e.Unchecked, FieldActor)
	}
	return e
}

// objectURL is the digest URL an event names for an object of h.
func (r *runner) objectURL(h *hit, repo, kind string, d digest.Digest) string {
	b := h.base
	if r.target.EventURLBase != "" {
		b = strings.TrimRight(r.target.EventURLBase, "/")
	}
	return b + "/v2/" + repo + "/" + kind + "/" + d.String()
}

func (r *runner) blobEntry(h *hit, method, action, repo string, d v1.Descriptor) Entry {
	e := r.entry(h, method, action, "blob", repo)
	e.Digest, e.MediaType, e.Size, e.Length = d.Digest.String(), MediaTypeBlob, d.Size, d.Size
	e.URL = r.objectURL(h, repo, "blobs", d.Digest)
	return e
}

func (r *runner) manifestEntry(h *hit, method, action, repo, tag string, d v1.Descriptor, refs []v1.Descriptor) Entry {
	e := r.entry(h, method, action, "manifest", repo)
	e.Digest, e.Tag, e.MediaType, e.Size, e.Length = d.Digest.String(), tag, d.MediaType, d.Size, d.Size
	e.URL = r.objectURL(h, repo, "manifests", d.Digest)
	if r.target.IncludeReferences {
		e.References = refs
	}
	return e
}

// deleteEntry: delete events carry only what identifies the object.
func (r *runner) deleteEntry(h *hit, kind, repo, dg, tag string) Entry {
	e := r.entry(h, http.MethodDelete, "delete", kind, repo)
	e.Digest, e.Tag = dg, tag
	return e
}

// stepError is a request of an operation that did not answer as it must.
type stepError struct {
	code int // the registry's status; 0 when it did not answer
	msg  string
}

func (e *stepError) Error() string { return e.msg }

// step makes one request of h and checks that it answered want; the body
// is read and closed, the headers stay.
func (r *runner) step(ctx context.Context, h *hit, method, u string, body []byte, hdr http.Header, want int) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header["User-Agent"] = []string{h.ua}
	c := r.bounded
	if h.op == OpSeed { // not a hit: no deadline of its own
		c = r.direct
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var msg []byte
	if resp.StatusCode == want {
		_, err = io.Copy(io.Discard, resp.Body)
	} else {
		msg, _ = io.ReadAll(io.LimitReader(resp.Body, 1024))
	}
	if resp.StatusCode != want {
		return resp, &stepError{code: resp.StatusCode, msg: fmt.Sprintf("%s: %s %s: %s, want %d: %s",
			h.op, method, u, resp.Status, want, strings.TrimSpace(string(msg)))}
	}
	if err != nil {
		return resp, fmt.Errorf("%s: %s %s: reading the answer: %w", h.op, method, u, err)
	}
	return resp, nil
}

// owe records what a request's events owe once it answered ok. A request
// that got no answer at all (the registry was killed, the connection cut)
// may or may not have taken effect: its events are recorded Uncertain,
// neither owed nor unexpected.
func (r *runner) owe(err error, es ...Entry) {
	var se *stepError
	switch {
	case err == nil:
	case errors.As(err, &se):
		return // answered, and not as wanted: nothing happened
	default:
		for i := range es {
			es[i].Uncertain = true
		}
	}
	r.ledger.Add(es...)
}

func location(resp *http.Response, op string) (*url.URL, error) {
	loc, err := resp.Location()
	if err != nil {
		return nil, fmt.Errorf("%s: %s answered %s without a usable Location: %w", op, resp.Request.URL, resp.Status, err)
	}
	return loc, nil
}

func withDigest(loc *url.URL, d digest.Digest) string {
	q := loc.Query()
	q.Set("digest", d.String())
	loc.RawQuery = q.Encode()
	return loc.String()
}

var octetStream = http.Header{"Content-Type": {"application/octet-stream"}}

// uploadMonolithic: POST opens a session, PUT ?digest= sends the blob.
func (r *runner) uploadMonolithic(ctx context.Context, h *hit, repo string, b []byte) (v1.Descriptor, error) {
	d := v1.Descriptor{MediaType: MediaTypeBlob, Digest: digest.FromBytes(b), Size: int64(len(b))}
	resp, err := r.step(ctx, h, http.MethodPost, h.base+"/v2/"+repo+"/blobs/uploads/", nil, nil, http.StatusAccepted)
	if err != nil {
		return d, err
	}
	loc, err := location(resp, h.op)
	if err != nil {
		return d, err
	}
	_, err = r.step(ctx, h, http.MethodPut, withDigest(loc, d.Digest), b, octetStream, http.StatusCreated)
	r.owe(err, r.blobEntry(h, http.MethodPut, "push", repo, d))
	return d, err
}

// uploadChunked: POST, one PATCH per chunk (with Content-Range), then an
// empty PUT ?digest=.
func (r *runner) uploadChunked(ctx context.Context, h *hit, repo string, b []byte) (v1.Descriptor, error) {
	d := v1.Descriptor{MediaType: MediaTypeBlob, Digest: digest.FromBytes(b), Size: int64(len(b))}
	resp, err := r.step(ctx, h, http.MethodPost, h.base+"/v2/"+repo+"/blobs/uploads/", nil, nil, http.StatusAccepted)
	if err != nil {
		return d, err
	}
	chunks := r.p.Chunks
	per := (len(b) + chunks - 1) / chunks
	for off := 0; off < len(b); off += per {
		end := min(off+per, len(b))
		loc, err := location(resp, h.op)
		if err != nil {
			return d, err
		}
		hdr := http.Header{"Content-Type": {"application/octet-stream"}, "Content-Range": {fmt.Sprintf("%d-%d", off, end-1)}}
		if resp, err = r.step(ctx, h, http.MethodPatch, loc.String(), b[off:end], hdr, http.StatusAccepted); err != nil {
			return d, err
		}
	}
	loc, err := location(resp, h.op)
	if err != nil {
		return d, err
	}
	_, err = r.step(ctx, h, http.MethodPut, withDigest(loc, d.Digest), nil, nil, http.StatusCreated)
	r.owe(err, r.blobEntry(h, http.MethodPut, "push", repo, d))
	return d, err
}

// uploadSingle: POST ?digest= with the blob. A registry without the
// capability answers 202 and ignores the body: the upload then ends with
// the portable PUT, declared.
func (r *runner) uploadSingle(ctx context.Context, h *hit, repo string, b []byte) (v1.Descriptor, error) {
	d := v1.Descriptor{MediaType: MediaTypeBlob, Digest: digest.FromBytes(b), Size: int64(len(b))}
	u := h.base + "/v2/" + repo + "/blobs/uploads/?digest=" + d.Digest.String()
	if r.target.SingleRequestUpload || r.p.Upload == "single" {
		_, err := r.step(ctx, h, http.MethodPost, u, b, octetStream, http.StatusCreated)
		r.owe(err, r.blobEntry(h, http.MethodPost, "push", repo, d))
		return d, err
	}
	resp, err := r.step(ctx, h, http.MethodPost, u, b, octetStream, http.StatusAccepted)
	if err != nil {
		return d, err
	}
	loc, err := location(resp, h.op)
	if err != nil {
		return d, err
	}
	_, err = r.step(ctx, h, http.MethodPut, withDigest(loc, d.Digest), b, octetStream, http.StatusCreated)
	r.declare(h.op + ": the registry has no single-request upload (Target.SingleRequestUpload false): POST ?digest= answered 202, the blob was sent by PUT, whose event is owed")
	r.owe(err, r.blobEntry(h, http.MethodPut, "push", repo, d))
	return d, err
}

// pushManifest PUTs a manifest by ref (tag or digest, with query) and owes
// one push event per tag, or one without a tag.
func (r *runner) pushManifest(ctx context.Context, h *hit, repo, ref string, query url.Values, body []byte, mt string, refs []v1.Descriptor, tags []string) (v1.Descriptor, error) {
	d := v1.Descriptor{MediaType: mt, Digest: sha256Digest(body), Size: int64(len(body))}
	u := h.base + "/v2/" + repo + "/manifests/" + ref
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	hdr := r.manifestHdr // read only, shared by every push of an image manifest
	if mt != MediaTypeManifest {
		hdr = http.Header{"Content-Type": {mt}}
	}
	_, err := r.step(ctx, h, http.MethodPut, u, body, hdr, http.StatusCreated)
	if len(tags) == 0 {
		tags = []string{""}
	}
	es := make([]Entry, 0, len(tags))
	for _, t := range tags {
		es = append(es, r.manifestEntry(h, http.MethodPut, "push", repo, t, d, refs))
	}
	r.owe(err, es...)
	return d, err
}

func (r *runner) pullBlob(ctx context.Context, h *hit, method, repo string, d v1.Descriptor) error {
	_, err := r.step(ctx, h, method, h.base+"/v2/"+repo+"/blobs/"+d.Digest.String(), nil, nil, http.StatusOK)
	r.owe(err, r.blobEntry(h, method, "pull", repo, d))
	return err
}

func (r *runner) pullManifest(ctx context.Context, h *hit, method, repo string, d v1.Descriptor, refs []v1.Descriptor) error {
	_, err := r.step(ctx, h, method, h.base+"/v2/"+repo+"/manifests/"+d.Digest.String(), nil, http.Header{"Accept": {d.MediaType}}, http.StatusOK)
	r.owe(err, r.manifestEntry(h, method, "pull", repo, "", d, refs))
	return err
}

// deleteManifest DELETEs by digest: a manifest delete event, then one tag
// delete per tag that pointed at it (Distribution's semantics).
func (r *runner) deleteManifest(ctx context.Context, h *hit, repo string, d digest.Digest, tags []string) error {
	_, err := r.step(ctx, h, http.MethodDelete, h.base+"/v2/"+repo+"/manifests/"+d.String(), nil, nil, http.StatusAccepted)
	es := []Entry{r.deleteEntry(h, "manifest", repo, d.String(), "")}
	if !r.p.NoTagDeleteEvents {
		for _, t := range tags {
			es = append(es, r.deleteEntry(h, "tag", repo, "", t))
		}
	}
	r.owe(err, es...)
	return err
}

// seed pushes the blobs every manifest references and what the operations
// act on. It uses the portable monolithic upload and never GET/HEAD (those
// would make pull events); every event it causes is owed (Op "seed").
func (r *runner) seed(ctx context.Context) error {
	if r.p.Op == OpBlobPush {
		return nil
	}
	contained := r.p.Op == OpMixed || selfContained(r.p.Op)
	for i := 0; i < r.p.Repositories; i++ {
		repo := r.repo(uint64(i))
		cfg := []byte(fmt.Sprintf(`{"hookbench":"%s","repo":%d}`, r.run, i))
		cd, err := r.uploadMonolithic(ctx, r.newHit(OpSeed, r.seedSeq.Add(1)), repo, cfg)
		if err != nil {
			return err
		}
		ld, err := r.uploadMonolithic(ctx, r.newHit(OpSeed, r.seedSeq.Add(1)), repo, blobContent(r.run+"-layer", uint64(i), r.p.BlobSize))
		if err != nil {
			return err
		}
		cd.MediaType, ld.MediaType = v1.MediaTypeImageConfig, v1.MediaTypeImageLayer
		r.config = append(r.config, cd)
		r.layer = append(r.layer, ld)
		if !contained {
			continue
		}
		ed, err := r.uploadMonolithic(ctx, r.newHit(OpSeed, r.seedSeq.Add(1)), repo, []byte("{}"))
		if err != nil {
			return err
		}
		ed.MediaType = v1.MediaTypeEmptyJSON
		r.empty = append(r.empty, ed)
		body, _ := manifestContent(r.run+"-base", uint64(i), cd, ld)
		bd, err := r.pushManifest(ctx, r.newHit(OpSeed, r.seedSeq.Add(1)), repo, fmt.Sprintf("base-%s", r.run), nil, body,
			MediaTypeManifest, []v1.Descriptor{cd, ld}, []string{fmt.Sprintf("base-%s", r.run)})
		if err != nil {
			return err
		}
		r.base = append(r.base, bd)
	}
	if contained {
		return nil
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
		body, _ := manifestContent(r.run+"-seed", uint64(k), r.config[i], r.layer[i])
		tag := fmt.Sprintf("seed-%s-%d", r.run, k)
		d, err := r.pushManifest(ctx, r.newHit(OpSeed, r.seedSeq.Add(1)), repo, tag, nil, body, MediaTypeManifest,
			[]v1.Descriptor{r.config[i], r.layer[i]}, []string{tag})
		if err != nil {
			return err
		}
		r.seeded[i] = append(r.seeded[i], d)
		r.seededTg[i] = append(r.seededTg[i], tag)
	}
	return nil
}

// targeter makes one target per hit; hitTransport performs it.
func (r *runner) targeter() vegeta.Targeter {
	return func(t *vegeta.Target) error {
		n := r.seq.Add(1) - 1
		if r.p.Count > 0 && n >= uint64(r.p.Count) {
			return vegeta.ErrNoTargets
		}
		op := r.sched[n%uint64(len(r.sched))]
		t.Method = http.MethodPost
		// .../<hit>/<op>: hitTransport reads the hit and op back (the URL
		// never reaches the registry), and Run names a hit by the last
		// segment. Cheaper than headers, which vegeta copies per request.
		t.URL = r.baseURL() + "/v2/" + r.repo(n) + "/" + strconv.FormatUint(n, 10) + "/" + op
		return nil
	}
}

// hitTransport performs a whole operation per vegeta request, so that one
// paced hit is one operation however many requests it takes.
type hitTransport struct{ r *runner }

func (t *hitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	rest, op := path.Split(req.URL.Path)
	n, err := strconv.ParseUint(path.Base(rest), 10, 64)
	if err != nil || op == "" {
		return nil, fmt.Errorf("load: request without a hit number and operation: %s", req.URL.Path)
	}
	// The hit's deadline, for every request of the operation (vegeta's
	// client has no timeout: an http.Client timeout over a RoundTripper
	// of its own costs a goroutine and a timer per request).
	ctx, cancel := context.WithTimeout(req.Context(), t.r.p.Timeout)
	defer cancel()
	code, err := t.r.perform(ctx, op, n)
	var se *stepError
	if errors.As(err, &se) && (se.code < 200 || se.code > 299) && se.code != 0 {
		// The registry refused: vegeta counts the status as the hit's.
		return &http.Response{StatusCode: se.code, Status: fmt.Sprintf("%d %s", se.code, http.StatusText(se.code)),
			Body: io.NopCloser(strings.NewReader(se.msg)), Header: http.Header{}, Request: req}, nil
	}
	if err != nil {
		return nil, err
	}
	return &http.Response{StatusCode: code, Status: strconv.Itoa(code) + " " + http.StatusText(code),
		Body: http.NoBody, Header: http.Header{}, Request: req}, nil
}

// perform runs hit n of op and returns the status of its last request.
func (r *runner) perform(ctx context.Context, op string, n uint64) (int, error) {
	i := n % uint64(r.p.Repositories)
	repo := r.repo(n)
	switch op {
	case OpManifestPush: // by tag, over the seeded blobs; Distinct may repeat
		k := n
		if r.p.Distinct > 0 {
			k = (n / uint64(r.p.Repositories)) % uint64(r.p.Distinct)
		}
		im := &r.images[i]
		var body []byte
		if im.ok {
			body = im.tmpl.fill(k)
		} else {
			body, _ = manifestContent(r.run, k, r.config[i], r.layer[i])
		}
		tag := "p-" + r.run + "-" + strconv.FormatUint(k, 10)
		_, err := r.pushManifest(ctx, r.newHit(OpPushByTag, n), repo, tag, nil, body, MediaTypeManifest, im.refs, []string{tag})
		return http.StatusCreated, err
	case OpBlobPush:
		b := blobContent(r.run, n, r.p.BlobSize)
		if r.single() {
			_, err := r.uploadSingle(ctx, r.newHit(OpUploadSinglePost, n), repo, b)
			return http.StatusCreated, err
		}
		_, err := r.uploadMonolithic(ctx, r.newHit(OpUploadMonolithic, n), repo, b)
		return http.StatusCreated, err
	case OpPull:
		ms := r.seeded[i]
		m := ms[(n/uint64(r.p.Repositories))%uint64(len(ms))]
		name := OpManifestGet
		if r.p.Method == http.MethodHead {
			name = OpManifestHead
		}
		return http.StatusOK, r.pullManifest(ctx, r.newHit(name, n), r.p.Method, repo, m, []v1.Descriptor{r.config[i], r.layer[i]})
	case OpDelete:
		k := n / uint64(r.p.Repositories)
		return http.StatusAccepted, r.deleteManifest(ctx, r.newHit(OpManifestDelete, n), repo, r.seeded[i][k].Digest, []string{r.seededTg[i][k]})
	}
	h := r.newHit(op, n)
	blob := func() []byte { return blobContent(r.run+"-"+op, n, r.p.BlobSize) }
	image := func() ([]byte, []v1.Descriptor) {
		b, _ := manifestContent(r.run+"-"+op, n, r.config[i], r.layer[i])
		return b, []v1.Descriptor{r.config[i], r.layer[i]}
	}
	tag := fmt.Sprintf("%s-%s-%d", tagPrefix(op), r.run, n)
	switch op {
	case OpUploadMonolithic:
		_, err := r.uploadMonolithic(ctx, h, repo, blob())
		return http.StatusCreated, err
	case OpUploadChunked:
		_, err := r.uploadChunked(ctx, h, repo, blob())
		return http.StatusCreated, err
	case OpUploadSinglePost:
		_, err := r.uploadSingle(ctx, h, repo, blob())
		return http.StatusCreated, err
	case OpMount:
		src := r.mountSource()
		d, err := r.uploadMonolithic(ctx, h, src, blob())
		if err != nil {
			return 0, err
		}
		q := url.Values{"mount": {d.Digest.String()}, "from": {src}}
		_, err = r.step(ctx, h, http.MethodPost, h.base+"/v2/"+repo+"/blobs/uploads/?"+q.Encode(), nil, nil, http.StatusCreated)
		e := r.blobEntry(h, http.MethodPost, "mount", repo, d)
		e.FromRepository = src
		r.owe(err, e)
		return http.StatusCreated, err
	case OpPushByTag:
		b, refs := image()
		_, err := r.pushManifest(ctx, h, repo, tag, nil, b, MediaTypeManifest, refs, []string{tag})
		return http.StatusCreated, err
	case OpPushByDigest:
		b, refs := image()
		_, err := r.pushManifest(ctx, h, repo, digest.FromBytes(b).String(), nil, b, MediaTypeManifest, refs, nil)
		return http.StatusCreated, err
	case OpPushTags:
		b, refs := image()
		var tags []string
		for t := 0; t < pushTags; t++ {
			tags = append(tags, fmt.Sprintf("%s-%d", tag, t))
		}
		owed := tags
		if r.target.NoTagQuery {
			owed = nil
			r.declare(op + ": the registry ignores ?tag= on a push by digest (Target.NoTagQuery): one push event without a tag is owed, not one per tag")
		}
		_, err := r.pushManifest(ctx, h, repo, digest.FromBytes(b).String(), url.Values{"tag": tags}, b, MediaTypeManifest, refs, owed)
		return http.StatusCreated, err
	case OpIndexPush:
		children := []v1.Descriptor{r.base[i]}
		b, _ := indexContent(r.run, n, children)
		_, err := r.pushManifest(ctx, h, repo, tag, nil, b, v1.MediaTypeImageIndex, children, []string{tag})
		return http.StatusCreated, err
	case OpArtifactPush:
		b, refs := artifactContent(r.run, n, r.empty[i], r.layer[i], r.base[i])
		_, err := r.pushManifest(ctx, h, repo, digest.FromBytes(b).String(), nil, b, MediaTypeManifest, refs, nil)
		return http.StatusCreated, err
	case OpManifestDelete:
		b, refs := image()
		d, err := r.pushManifest(ctx, h, repo, tag, nil, b, MediaTypeManifest, refs, []string{tag})
		if err != nil {
			return 0, err
		}
		return http.StatusAccepted, r.deleteManifest(ctx, h, repo, d.Digest, []string{tag})
	case OpTagDelete:
		b, refs := image()
		if _, err := r.pushManifest(ctx, h, repo, tag, nil, b, MediaTypeManifest, refs, []string{tag}); err != nil {
			return 0, err
		}
		_, err := r.step(ctx, h, http.MethodDelete, h.base+"/v2/"+repo+"/manifests/"+tag, nil, nil, http.StatusAccepted)
		r.owe(err, r.deleteEntry(h, "tag", repo, "", tag))
		return http.StatusAccepted, err
	case OpBlobDelete:
		d, err := r.uploadMonolithic(ctx, h, repo, blob())
		if err != nil {
			return 0, err
		}
		_, err = r.step(ctx, h, http.MethodDelete, h.base+"/v2/"+repo+"/blobs/"+d.Digest.String(), nil, nil, http.StatusAccepted)
		r.owe(err, r.deleteEntry(h, "blob", repo, d.Digest.String(), ""))
		return http.StatusAccepted, err
	case OpBlobGet:
		return http.StatusOK, r.pullBlob(ctx, h, http.MethodGet, repo, r.layer[i])
	case OpBlobHead:
		return http.StatusOK, r.pullBlob(ctx, h, http.MethodHead, repo, r.layer[i])
	case OpManifestGet:
		return http.StatusOK, r.pullManifest(ctx, h, http.MethodGet, repo, r.base[i], []v1.Descriptor{r.config[i], r.layer[i]})
	case OpManifestHead:
		return http.StatusOK, r.pullManifest(ctx, h, http.MethodHead, repo, r.base[i], []v1.Descriptor{r.config[i], r.layer[i]})
	}
	return 0, fmt.Errorf("load: no such operation %q", op)
}

// tagPrefix is a short tag prefix per operation.
func tagPrefix(op string) string {
	switch op {
	case OpPushByTag:
		return "t"
	case OpPushTags:
		return "mt"
	case OpIndexPush:
		return "ix"
	case OpManifestDelete:
		return "md"
	case OpTagDelete:
		return "td"
	}
	return "x"
}

// headerTransport adds the target's headers (e.g. Authorization) to every
// request of an operation.
type headerTransport struct {
	inner  http.RoundTripper
	header http.Header
}

func (t *headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if len(t.header) > 0 {
		req = req.Clone(req.Context())
		for k, vs := range t.header {
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
	}
	return t.inner.RoundTrip(req)
}
