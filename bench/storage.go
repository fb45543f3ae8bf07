package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// StorageReport is what the storage measurements found (issue 17): memory
// with many stored manifests, restart time, and blob push throughput
// beside Distribution.
type StorageReport struct {
	Stored *Stored `json:"stored,omitempty"`
	// Manifests is manifest PUT throughput with no endpoint, beside
	// Distribution (the same measurement as table 4, repeated here so the
	// storage section stands alone).
	Manifests []ManifestPush `json:"manifests,omitempty"`
	Blobs     []BlobPush     `json:"blobs,omitempty"`
	SHA256    *HashPass      `json:"sha256,omitempty"`
	Sizes     StorageSize    `json:"sizes"`
}

// StorageSize are the storage measurements' knobs.
type StorageSize struct {
	StoredManifests int           `json:"storedManifests"` // distinct manifests pushed for the memory row
	StoredPushLimit time.Duration `json:"storedPushLimit"`
	SmallBlob       int           `json:"smallBlob"`    // bytes (1 MiB)
	SmallWorkers    int           `json:"smallWorkers"` // concurrent clients
	SmallDuration   time.Duration `json:"smallDuration"`
	LargeBlob       int           `json:"largeBlob"` // bytes (64 MiB)
	LargeCount      int           `json:"largeCount"`
}

// DefaultStorageSizes fit in about three minutes beside the rest of
// `make bench`.
func DefaultStorageSizes() StorageSize {
	return StorageSize{
		StoredManifests: 1_000_000,
		StoredPushLimit: 4 * time.Minute,
		SmallBlob:       1 << 20,
		SmallWorkers:    32,
		SmallDuration:   10 * time.Second,
		LargeBlob:       64 << 20,
		LargeCount:      5,
	}
}

// Stored is our registry after pushing N distinct manifests (every push a
// new manifest and tag, no notifications endpoint), then restarted.
type Stored struct {
	Subject     string  `json:"subject"`
	Manifests   int     `json:"manifests"` // distinct manifests answered 201 (seeding excluded)
	PushSeconds float64 `json:"pushSeconds"`
	PushRate    float64 `json:"pushRate"`
	RSS         int64   `json:"rssBytes"`
	Mem         Mem     `json:"mem"`
	// RestartSeconds: SIGKILL, start again on the same storage, until
	// /v2/ answers; FirstManifestSeconds: until a manifest GET by tag of
	// the pushes answers 200 as well.
	RestartSeconds       float64 `json:"restartSeconds"`
	FirstManifestSeconds float64 `json:"firstManifestSeconds"`
	RSSAfterRestart      int64   `json:"rssAfterRestartBytes"`
	Note                 string  `json:"note,omitempty"`
}

// ManifestPush is manifest PUT throughput with no endpoint, and the
// registry process's CPU time per PUT: on a shared machine throughput
// follows what the other processes leave, CPU per operation much less.
type ManifestPush struct {
	Push
	Client   string  `json:"client"` // ClientLoad, ClientPlain or ClientLean
	Run      int     `json:"run"`    // 1 or 2 (see abba)
	CPUPerOp float64 `json:"cpuPerOpSeconds"`
	// ClientCPUPerOp is the benchmark process's own CPU per PUT: the
	// client's share of the two cores.
	ClientCPUPerOp float64 `json:"clientCpuPerOpSeconds,omitempty"`
}

// BlobPush is blob upload throughput of one registry with one flow.
type BlobPush struct {
	Subject string  `json:"subject"`
	Size    int     `json:"size"`
	Flow    string  `json:"flow"`    // "POST+PUT" (whole blob in the PUT) or "POST+PATCH+PUT" (docker, crane)
	Content string  `json:"content"` // "new": every push a new blob; "again": blobs stored already, pushed into other repositories
	Workers int     `json:"workers"`
	Run     int     `json:"run"`    // 1 or 2 (see abba)
	Pushes  int     `json:"pushes"` // answered 201
	Errors  int     `json:"errors"`
	Seconds float64 `json:"seconds"`
	Rate    float64 `json:"rate"`    // pushes/s
	MiBps   float64 `json:"mibPerS"` // of blob content
	PerPush float64 `json:"perPushSeconds"`
	Error   string  `json:"error,omitempty"` // first failure seen
	// CPUPerOp is the registry process's CPU time (user+system) per push.
	CPUPerOp float64 `json:"cpuPerOpSeconds"`
	// ClientCPUPerOp is the benchmark process's own CPU per push.
	ClientCPUPerOp float64 `json:"clientCpuPerOpSeconds,omitempty"`
}

// HashPass is one SHA-256 pass over a large blob in this process, the
// floor of any registry that verifies what it stores.
type HashPass struct {
	Size    int     `json:"size"`
	Seconds float64 `json:"seconds"` // best of three
	MiBps   float64 `json:"mibPerS"`
}

// Flows of a blob push.
const (
	FlowPut   = "POST+PUT"
	FlowPatch = "POST+PATCH+PUT"
)

// What a blob push sends: a new blob every time, or one of againBlobs
// blobs over and over (into 16 repositories, so mostly blobs the registry
// already stores, in another repository).
const (
	ContentNew   = "new"
	ContentAgain = "again"
	againBlobs   = 128
)

// abba is the order of each throughput measurement's runs: Distribution
// then ours, then ours then Distribution. Whatever drifts over the run
// (what the previous row left in memory, in the page cache, in the
// filesystem's free inodes) then falls on both registries alike, and the
// targets compare the two runs of each pooled. One registry's two runs
// differed by up to a third in single-run benchmarks here.
var abba = [][2]string{{Distribution, OursDefault}, {OursDefault, Distribution}}

// pooled is one registry's runs of one measurement taken together.
type pooled struct {
	ops     int
	seconds float64 // summed over the runs
	cpu     float64 // seconds of registry CPU
	client  float64 // seconds of the bench process's CPU
	workers int
}

func (p *pooled) add(ops int, seconds, cpuPerOp, clientCPUPerOp float64, workers int) {
	p.ops += ops
	p.seconds += seconds
	p.cpu += cpuPerOp * float64(ops)
	p.client += clientCPUPerOp * float64(ops)
	p.workers = workers
}

func (p pooled) rate() float64      { return Ratio(float64(p.ops), p.seconds) }
func (p pooled) cpuPerOp() float64  { return Ratio(p.cpu, float64(p.ops)) }
func (p pooled) clientCPU() float64 { return Ratio(p.client, float64(p.ops)) }

// perOp is the wall time one op took, with workers running at once.
func (p pooled) perOp() float64 { return Ratio(p.seconds*float64(p.workers), float64(p.ops)) }

// storage runs the storage measurements; each failure is reported and the
// others still run.
func (b *bencher) storage(ctx context.Context, fail func(string, error)) *StorageReport {
	s := b.o.Storage
	rep := &StorageReport{Sizes: s}
	if s.StoredManifests > 0 {
		st, err := b.stored(ctx, s.StoredManifests, s.StoredPushLimit)
		if err != nil {
			fail("stored manifests "+OursDefault, err)
		} else {
			rep.Stored = &st
		}
	}
	for _, client := range manifestClients {
		for run, order := range abba {
			for _, subject := range order {
				p, err := b.manifestPush(ctx, subject, client)
				if err != nil {
					fail("manifest push "+subject+" "+client, err)
					continue
				}
				p.Run = run + 1
				rep.Manifests = append(rep.Manifests, p)
			}
		}
	}
	rep.SHA256 = hashPass(s.LargeBlob)
	type run struct {
		size, workers, count int
		dur                  time.Duration
		flow, content        string
	}
	runs := []run{}
	if s.SmallBlob > 0 {
		runs = append(runs,
			run{s.SmallBlob, s.SmallWorkers, 0, s.SmallDuration, FlowPut, ContentNew},
			run{s.SmallBlob, s.SmallWorkers, 0, s.SmallDuration, FlowPatch, ContentNew},
			run{s.SmallBlob, s.SmallWorkers, 0, s.SmallDuration, FlowPut, ContentAgain})
	}
	if s.LargeBlob > 0 && s.LargeCount > 0 {
		runs = append(runs,
			run{s.LargeBlob, 1, s.LargeCount, 0, FlowPut, ContentNew},
			run{s.LargeBlob, 1, s.LargeCount, 0, FlowPatch, ContentNew})
	}
	for _, r := range runs {
		for run, order := range abba {
			for _, subject := range order {
				p, err := b.blobPush(ctx, subject, r.flow, r.content, r.size, r.workers, r.count, r.dur)
				if err != nil {
					fail(fmt.Sprintf("blob push %s %s %s %s", subject, MiB(int64(r.size)), r.flow, r.content), err)
					continue
				}
				p.Run = run + 1
				rep.Blobs = append(rep.Blobs, p)
			}
		}
	}
	return rep
}

// Clients of the manifest PUT measurement.
const (
	ClientLoad  = "harness load" // load.Run: vegeta, the ledger of owed events
	ClientPlain = "plain"        // putManifests: net/http and nothing else
	ClientLean  = "lean"         // putManifests: one keep-alive connection per worker (leanConn)
)

// manifestClients are the clients manifest PUTs are measured with, in order.
var manifestClients = []string{ClientLoad, ClientPlain, ClientLean}

// manifestPush is push with no endpoint, measuring the registry's CPU,
// with the harness's load generator or a plain client (see putManifests).
func (b *bencher) manifestPush(ctx context.Context, subject, client string) (ManifestPush, error) {
	fmt.Fprintf(b.log, "bench: %s: manifest push throughput and CPU, no endpoint, %s client\n", subject, client)
	p := ManifestPush{Push: Push{Subject: subject, Endpoint: "none"}, Client: client}
	s, err := b.start(ctx, subject, nil)
	if err != nil {
		return p, err
	}
	defer s.close()
	pid, err := s.pid()
	if err != nil {
		return p, err
	}
	c0, err := cpuNow(pid)
	if err != nil {
		return p, err
	}
	if client != ClientLoad {
		r, err := putManifests(ctx, s.reg.URL, client, b.o.Sizes.PushWorkers, b.o.Sizes.Repositories, b.o.Sizes.PushDuration)
		if err != nil {
			return p, err
		}
		p.Requests, p.Errors, p.Seconds = r.ok, r.bad, r.seconds
		if r.seconds > 0 {
			p.Rate = float64(r.ok) / r.seconds
		}
	} else {
		_, res, err := b.pushManifests(ctx, s, 10_000_000, 0, b.o.Sizes.PushDuration)
		if err != nil {
			return p, err
		}
		mt := res.Metrics
		ok := int(float64(mt.Requests)*mt.Success + 0.5)
		p.Requests, p.Errors, p.Seconds, p.Rate = ok, int(mt.Requests)-ok, mt.Duration.Seconds(), mt.Throughput
	}
	c1, err := cpuNow(pid)
	if err != nil {
		return p, err
	}
	p.CPUPerOp, p.ClientCPUPerOp = c1.perOp(c0, p.Requests) // seeding (a few requests) included
	fmt.Fprintf(b.log, "bench: %s/none/%s: %d PUTs (%d errors), %.0f/s, %.1f µs registry CPU and %.1f µs client CPU per PUT\n", subject, client, p.Requests, p.Errors, p.Rate, p.CPUPerOp*1e6, p.ClientCPUPerOp*1e6)
	if p.Requests == 0 {
		return p, errors.New("no manifest PUT succeeded")
	}
	return p, nil
}

// putManifests PUTs a new image manifest by a new tag from workers clients
// for dur, over repos repositories (their config and layer blob pushed
// first), with nothing but a bare HTTP client on the client side (client:
// ClientPlain or ClientLean): the harness's load generator spends about
// two thirds of our registry's CPU per request on its pacing, results and
// ledger (the rows print both), and the registry does not get that share
// of these 2 cores. A PUT counts when it is answered
// 201 with the manifest's digest.
func putManifests(ctx context.Context, base, client string, workers, repos int, dur time.Duration) (workResult, error) {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}, Timeout: time.Minute}
	defer hc.CloseIdleConnections()
	put := func(ctx context.Context, path string, body []byte) error {
		return putManifest(ctx, hc, base+path, body)
	}
	if client == ClientLean {
		pool, err := newLeanPool(base, workers, time.Minute)
		if err != nil {
			return workResult{}, err
		}
		defer pool.close()
		put = func(ctx context.Context, path string, body []byte) error {
			return putManifestLean(ctx, pool, path, body)
		}
	}
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	layer := bytes.Repeat([]byte("hookbench manifest bench layer\n"), 64)
	cfg, lay := blob{prefix: config, dg: digest.FromBytes(config)}, blob{prefix: layer, dg: digest.FromBytes(layer)}
	seed, err := newLeanConn(base, time.Minute)
	if err != nil {
		return workResult{}, err
	}
	defer seed.close()
	names := make([]string, repos)
	for i := range names {
		names[i] = fmt.Sprintf("bench/manifests-%d", i)
		for _, bl := range []blob{cfg, lay} {
			if err := pushOne(ctx, seed, names[i], FlowPut, bl); err != nil {
				return workResult{}, fmt.Errorf("seeding %s: %w", names[i], err)
			}
		}
	}
	// Every manifest differs by an annotation, so every PUT stores a new one.
	head := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":%q,"digest":%q,"size":%d},"layers":[{"mediaType":%q,"digest":%q,"size":%d}],"annotations":{"n":"`,
		v1.MediaTypeImageManifest, v1.MediaTypeImageConfig, cfg.dg, cfg.size(), v1.MediaTypeImageLayer, lay.dg, lay.size())
	r := runWorkers(ctx, workers, 0, dur, func(n int64) error {
		body := strconv.AppendInt([]byte(head), n, 10)
		body = append(body, `"}}`...)
		return put(ctx, "/v2/"+names[int(n)%len(names)]+"/manifests/t"+strconv.FormatInt(n, 10), body)
	})
	if r.firstErr != "" && r.ok == 0 {
		return r, errors.New(r.firstErr)
	}
	return r, ctx.Err()
}

// workResult is what runWorkers did.
type workResult struct {
	ok, bad  int
	seconds  float64
	firstErr string // of the failed ops, the first
}

// runWorkers calls op(0), op(1), ... from workers goroutines until count
// ops have started (when count > 0) or dur has passed (when dur > 0), and
// counts what succeeded and failed. Blob and manifest pushes share it.
func runWorkers(ctx context.Context, workers, count int, dur time.Duration, op func(n int64) error) workResult {
	var seq, ok, bad atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(dur)
	t0 := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n := seq.Add(1) - 1
				if (count > 0 && n >= int64(count)) || (dur > 0 && time.Now().After(deadline)) {
					return
				}
				if err := op(n); err != nil {
					bad.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	r := workResult{ok: int(ok.Load()), bad: int(bad.Load()), seconds: time.Since(t0).Seconds()}
	r.firstErr, _ = firstErr.Load().(string)
	return r
}

// putManifest PUTs one manifest and checks the answer names its digest.
func putManifest(ctx context.Context, c *http.Client, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", v1.MediaTypeImageManifest)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	return manifestStored(url, resp, msg, body)
}

// manifestStored checks a manifest PUT's answer: 201 naming the digest of
// body.
func manifestStored(url string, resp *http.Response, msg, body []byte) error {
	if resp.StatusCode != http.StatusCreated {
		return errStatus(http.MethodPut, url, resp, msg)
	}
	if got, want := resp.Header.Get("Docker-Content-Digest"), digest.FromBytes(body).String(); got != want {
		return fmt.Errorf("PUT %s: answered digest %q, want %q", url, got, want)
	}
	return nil
}

// putManifestLean is putManifest on a lean connection.
func putManifestLean(ctx context.Context, pool leanPool, path string, body []byte) error {
	resp, msg, err := pool.do(ctx, http.MethodPut, path, v1.MediaTypeImageManifest, body)
	if err != nil {
		return err
	}
	return manifestStored(path, resp, msg, body)
}

// cpuSample is the CPU time so far of the registry and of this process,
// the client: they share the machine's cores.
type cpuSample struct{ registry, client float64 }

func cpuNow(registryPid int) (cpuSample, error) {
	reg, err := CPUSeconds(registryPid)
	if err != nil {
		return cpuSample{}, err
	}
	self, err := CPUSeconds(os.Getpid())
	return cpuSample{reg, self}, err
}

// perOp is the registry's and the client's CPU per op between c0 and c
// (0 without ops).
func (c cpuSample) perOp(c0 cpuSample, ops int) (registry, client float64) {
	if ops <= 0 {
		return 0, 0
	}
	return (c.registry - c0.registry) / float64(ops), (c.client - c0.client) / float64(ops)
}

// CPUSeconds is process pid's CPU time so far (user + system), from
// /proc/<pid>/stat.
func CPUSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15, in clock ticks
// of 1/100 s on Linux) after the parenthesised command name.
func parseStatCPU(stat string) (float64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("stat: no command name")
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, errors.New("stat: too few fields")
	}
	var ticks float64
	for _, s := range f[11:13] { // utime, stime: fields 14, 15 overall
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("stat: %q: %w", s, err)
		}
		ticks += float64(n)
	}
	return ticks / 100, nil
}

// stored pushes n distinct manifests into ours, reads VmRSS, then kills
// and restarts the registry on the same storage and times its first answers.
func (b *bencher) stored(ctx context.Context, n int, limit time.Duration) (Stored, error) {
	fmt.Fprintf(b.log, "bench: %s: memory with up to %d distinct stored manifests (bounded by %s), no endpoint\n", OursDefault, n, limit)
	st := Stored{Subject: OursDefault}
	s, err := b.start(ctx, OursDefault, nil)
	if err != nil {
		return st, err
	}
	defer s.close()
	t0 := time.Now()
	owed, res, err := b.pushManifests(ctx, s, n, 0, limit)
	if err != nil {
		return st, err
	}
	st.Manifests, st.PushSeconds = owed-res.Seeded, time.Since(t0).Seconds()
	st.PushRate = res.Metrics.Throughput
	if st.Manifests < n {
		st.Note = fmt.Sprintf("reduced: %d of %d pushed in the %s limit", st.Manifests, n, limit)
	}
	mem, err := s.mem()
	if err != nil {
		return st, err
	}
	st.RSS, st.Mem = mem.VmRSS, mem
	fmt.Fprintf(b.log, "bench: %s: %d manifests stored in %.0fs, VmRSS %s (anon %s, file %s)\n", OursDefault, st.Manifests, st.PushSeconds, MiB(mem.VmRSS), MiB(mem.RssAnon), MiB(mem.RssFile))

	tag, repo, err := lastTag(ctx, s.reg.URL)
	if err != nil {
		return st, err
	}
	t1 := time.Now()
	if err := s.rt.RestartRegistry(ctx); err != nil { // SIGKILL, then start; returns once /v2/ answers
		return st, err
	}
	st.RestartSeconds = time.Since(t1).Seconds()
	reg, err := s.rt.Registry()
	if err != nil {
		return st, err
	}
	s.reg = reg
	resp, err := http.Get(reg.URL + "/v2/" + repo + "/manifests/" + tag)
	if err != nil {
		return st, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("manifest %s:%s after restart: %s", repo, tag, resp.Status)
	}
	st.FirstManifestSeconds = time.Since(t1).Seconds()
	if mem, err := s.mem(); err == nil {
		st.RSSAfterRestart = mem.VmRSS
	}
	fmt.Fprintf(b.log, "bench: %s: restart to first answer %.3fs, to a stored manifest %.3fs\n", OursDefault, st.RestartSeconds, st.FirstManifestSeconds)
	return st, nil
}

// lastTag finds a tag the pushes made: the last of the first repository
// in the catalog.
func lastTag(ctx context.Context, base string) (tag, repo string, err error) {
	var cat struct{ Repositories []string }
	if err := getJSON(ctx, base+"/v2/_catalog?n=1", &cat); err != nil {
		return "", "", err
	}
	if len(cat.Repositories) == 0 {
		return "", "", errors.New("no repository after the pushes")
	}
	repo = cat.Repositories[0]
	var tags struct{ Tags []string }
	if err := getJSON(ctx, base+"/v2/"+repo+"/tags/list", &tags); err != nil {
		return "", "", err
	}
	if len(tags.Tags) == 0 {
		return "", "", fmt.Errorf("no tag in %s after the pushes", repo)
	}
	return tags.Tags[len(tags.Tags)-1], repo, nil
}

// hashPass times SHA-256 over size bytes, best of three.
func hashPass(size int) *HashPass {
	if size <= 0 {
		return nil
	}
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	best := math.Inf(1)
	for range 3 {
		t0 := time.Now()
		sha256.Sum256(buf)
		best = min(best, time.Since(t0).Seconds())
	}
	return &HashPass{Size: size, Seconds: best, MiBps: float64(size) / (1 << 20) / best}
}

// blobPool makes the pushed blobs: one shared prefix of size-8 bytes and
// an 8-byte tail that numbers the blob, so every push can be a new blob
// (as a build pushing fresh layers is) while the client neither stores
// nor hashes one per push: the SHA-256 state after the prefix is saved
// once, and a blob's digest is that state plus its tail.
type blobPool struct {
	prefix []byte
	mid    []byte // sha256 state after prefix (encoding.BinaryMarshaler)
	seed   uint64
	again  int // > 0: blob i is blob i%again, pushed again into another repository
}

// newBlobPool makes a pool of blobs of size (>= 8 bytes); again > 0
// cycles through that many distinct blobs instead of making new ones.
func newBlobPool(size, again int) *blobPool {
	p := &blobPool{prefix: make([]byte, size-8), seed: uint64(time.Now().UnixNano()), again: again}
	for j := 0; j+8 <= len(p.prefix); j += 8 {
		binary.LittleEndian.PutUint64(p.prefix[j:], p.seed+uint64(j)*0x9E3779B97F4A7C15)
	}
	h := sha256.New()
	h.Write(p.prefix)
	mid, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic(err) // crypto/sha256 always can
	}
	p.mid = mid
	return p
}

// blob is one pushed blob: prefix then tail.
type blob struct {
	prefix, tail []byte
	dg           digest.Digest
}

func (b blob) size() int64 { return int64(len(b.prefix) + len(b.tail)) }

// get returns blob i.
func (p *blobPool) get(i int) blob {
	if p.again > 0 {
		i %= p.again
	}
	tail := binary.BigEndian.AppendUint64(nil, p.seed^uint64(i))
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(p.mid); err != nil {
		panic(err) // our own state
	}
	h.Write(tail)
	return blob{prefix: p.prefix, tail: tail, dg: digest.NewDigest(digest.SHA256, h)}
}

// blobPush pushes blobs of size with flow from workers clients, until
// count pushes (when > 0) or dur has passed.
func (b *bencher) blobPush(ctx context.Context, subject, flow, content string, size, workers, count int, dur time.Duration) (BlobPush, error) {
	fmt.Fprintf(b.log, "bench: %s: %s blob pushes (%s, %s content), %d clients\n", subject, MiB(int64(size)), flow, content, workers)
	p := BlobPush{Subject: subject, Size: size, Flow: flow, Content: content, Workers: workers}
	again := 0
	if content == ContentAgain {
		again = againBlobs
	}
	pool := newBlobPool(size, again)
	s, err := b.start(ctx, subject, nil)
	if err != nil {
		return p, err
	}
	defer s.close()
	pid, err := s.pid()
	if err != nil {
		return p, err
	}
	c0, err := cpuNow(pid)
	if err != nil {
		return p, err
	}
	conns, err := newLeanPool(s.reg.URL, workers, 5*time.Minute)
	if err != nil {
		return p, err
	}
	defer conns.close()
	r := runWorkers(ctx, workers, count, dur, func(n int64) error {
		lc := <-conns
		defer func() { conns <- lc }()
		return pushOne(ctx, lc, fmt.Sprintf("bench/blobs-%d", n%16), flow, pool.get(int(n)))
	})
	p.Seconds = r.seconds
	c1, err := cpuNow(pid)
	if err != nil {
		return p, err
	}
	p.Pushes, p.Errors, p.Error = r.ok, r.bad, r.firstErr
	if p.Seconds > 0 {
		p.Rate = float64(p.Pushes) / p.Seconds
		p.MiBps = p.Rate * float64(size) / (1 << 20)
	}
	if p.Pushes > 0 {
		p.PerPush = p.Seconds * float64(workers) / float64(p.Pushes)
	}
	p.CPUPerOp, p.ClientCPUPerOp = c1.perOp(c0, p.Pushes)
	fmt.Fprintf(b.log, "bench: %s: %d pushes (%d errors) in %.1fs: %.1f/s, %.0f MiB/s, %.3fs per push, %.2f ms registry CPU and %.2f ms client CPU per push\n", subject, p.Pushes, p.Errors, p.Seconds, p.Rate, p.MiBps, p.PerPush, p.CPUPerOp*1e3, p.ClientCPUPerOp*1e3)
	if p.Pushes == 0 {
		return p, fmt.Errorf("no push succeeded: %s", p.Error)
	}
	return p, ctx.Err()
}

// pushOne uploads one blob on lc: POST, then the whole blob in the PUT,
// or in one PATCH followed by an empty PUT.
func pushOne(ctx context.Context, lc *leanConn, repo, flow string, bl blob) error {
	path := "/v2/" + repo + "/blobs/uploads/"
	loc, err := lc.send(ctx, http.MethodPost, path, http.StatusAccepted)
	if err != nil {
		return err
	}
	var body [][]byte
	if flow == FlowPatch {
		if loc, err = lc.send(ctx, http.MethodPatch, loc, http.StatusAccepted, bl.prefix, bl.tail); err != nil {
			return err
		}
	} else {
		body = [][]byte{bl.prefix, bl.tail}
	}
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	_, err = lc.send(ctx, http.MethodPut, loc+sep+"digest="+string(bl.dg), http.StatusCreated, body...)
	return err
}

// send makes one upload request with body and expects want; it returns the
// answer's Location, if any.
func (lc *leanConn) send(ctx context.Context, method, path string, want int, body ...[]byte) (string, error) {
	contentType := ""
	if len(body) > 0 {
		contentType = "application/octet-stream"
	}
	resp, msg, err := lc.do(ctx, method, path, contentType, body...)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != want {
		return "", errStatus(method, path, resp, msg)
	}
	if want != http.StatusAccepted {
		return "", nil
	}
	return lc.location(method, path, resp)
}

// location is the path and query of an upload answer's Location, which
// may be a whole URL (Distribution's are) but must point at lc's host.
func (lc *leanConn) location(method, path string, resp *http.Response) (string, error) {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", errors.New(method + " " + path + ": upload answer without Location")
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "", fmt.Errorf("%s %s: Location %q: %w", method, path, loc, err)
	}
	if u.Host != "" && u.Host != lc.host {
		return "", fmt.Errorf("%s %s: Location %q is not on %s", method, path, loc, lc.host)
	}
	return u.RequestURI(), nil
}

func getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// storageMarkdown renders the storage sections with their targets.
func (r *Report) storageMarkdown() string {
	sr := r.Storage
	if sr == nil {
		return ""
	}
	var b strings.Builder
	if st := sr.Stored; st != nil {
		b.WriteString("\n### 5. Memory with stored manifests, and restart\n\n")
		fmt.Fprintf(&b, "Workload: %d manifest PUTs by tag, each a new manifest and tag, over %d repositories, no notifications endpoint; then SIGKILL and start again on the same storage.\n\n", st.Manifests, r.Sizes.Repositories)
		b.WriteString("| registry | manifests stored | PUTs/s | VmRSS | RssAnon (heap) | RssFile | kill -> /v2/ answers | kill -> stored manifest answers | VmRSS after restart | note |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
		fmt.Fprintf(&b, "| %s | %d | %.0f | %s | %s | %s | %.3f s | %.3f s | %s | %s |\n", st.Subject, st.Manifests, st.PushRate,
			MiB(st.RSS), MiB(st.Mem.RssAnon), MiB(st.Mem.RssFile), st.RestartSeconds, st.FirstManifestSeconds, MiB(st.RSSAfterRestart), st.Note)
		fmt.Fprintf(&b, "\n- Target VmRSS < 128 MiB with 1,000,000 stored manifests: %s (%s at %d)%s.\n", verdict(st.RSS > 0 && st.RSS < 128<<20), MiB(st.RSS), st.Manifests, reducedNote(st.Manifests))
		fmt.Fprintf(&b, "- Target restart to first answer < 1 s: %s (%.3f s; a stored manifest %.3f s).\n", verdict(st.FirstManifestSeconds < 1), st.RestartSeconds, st.FirstManifestSeconds)
	}
	if len(sr.Manifests) > 0 {
		fmt.Fprintf(&b, "\nManifest PUTs by tag, every one a new manifest, %d clients for %s, fresh storage, no endpoint, two runs per registry and client in the order Distribution, ours, ours, Distribution; \"vs Distribution\" is against Distribution's two runs pooled. The clients share the registry's 2 cores, so what a client spends per request the registry does not get: client %q is the harness's load generator (vegeta, the ledger of owed events), %q a bare net/http client, %q one keep-alive connection per worker that formats its requests itself and parses answers with net/http's ReadResponse (mostly the kernel's loopback TCP).\n\n", r.Sizes.PushWorkers, r.Sizes.PushDuration, ClientLoad, ClientPlain, ClientLean)
		b.WriteString("| registry | client | run | manifest PUTs (no endpoint) | errors | PUTs/s | vs Distribution | registry CPU per PUT | Distribution's CPU / ours | client CPU per PUT |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		pools := map[string]*pooled{}
		pool := func(subject, client string) *pooled {
			k := subject + "/" + client
			if pools[k] == nil {
				pools[k] = &pooled{}
			}
			return pools[k]
		}
		for _, p := range sr.Manifests {
			pool(p.Subject, p.Client).add(p.Requests, p.Seconds, p.CPUPerOp, p.ClientCPUPerOp, 1)
		}
		for _, p := range sr.Manifests {
			peer := pool(Distribution, p.Client)
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %.0f | %s | %.0f µs | %s | %.0f µs |\n", p.Subject, p.Client, p.Run, p.Requests, p.Errors, p.Rate,
				fmtRatio(Ratio(p.Rate, peer.rate())), p.CPUPerOp*1e6, fmtRatio(Ratio(peer.cpuPerOp(), p.CPUPerOp)), p.ClientCPUPerOp*1e6)
		}
		b.WriteString("\n")
		for _, client := range manifestClients {
			ours, peer := pool(OursDefault, client), pool(Distribution, client)
			if ours.ops > 0 && peer.ops > 0 {
				ratio := Ratio(ours.rate(), peer.rate())
				figures := fmt.Sprintf("%.0f vs %.0f PUTs/s, %s; CPU per PUT %s less", ours.rate(), peer.rate(), fmtRatio(ratio), fmtRatio(Ratio(peer.cpuPerOp(), ours.cpuPerOp())))
				if client == ClientLoad {
					// The load generator spends about two thirds of what our
					// registry spends per PUT, on the same 2 cores: its row
					// measures the pair, so it is shown beside the target.
					fmt.Fprintf(&b, "- Manifest PUT with the %s client, runs pooled (beside the target: this client spends %.0f µs of the shared cores per PUT, %.0f%% of our registry's %.0f µs): %s.\n", client, ours.clientCPU()*1e6, 100*Ratio(ours.clientCPU(), ours.cpuPerOp()), ours.cpuPerOp()*1e6, figures)
					continue
				}
				fmt.Fprintf(&b, "- Target manifest PUT >= 25x Distribution (%s client, runs pooled): %s (%s).\n", client, verdict(ratio >= 25), figures)
			}
		}
	}
	if len(sr.Blobs) > 0 {
		b.WriteString("\n### 6. Blob pushes\n\n")
		fmt.Fprintf(&b, "Content \"new\": every push a blob never pushed before (a shared prefix and a numbered 8-byte tail; the client hashes only the tail, from the prefix's saved SHA-256 state). Content \"again\": %d blobs pushed round-robin, so nearly every push is a blob the registry already stores, into another of the 16 repositories. 64 MiB blobs are pushed one at a time. Each client is one keep-alive connection that sends a blob's body from where it lies with one writev (net/http's client copies it through a 32 KiB buffer, a write per piece: a third more client CPU per 1 MiB push, taken from the registry's 2 cores). Two runs per registry and row, in the order Distribution, ours, ours, Distribution; \"vs Distribution\" is against Distribution's two runs pooled.\n\n", againBlobs)
		b.WriteString("| registry | blob | flow | content | clients | run | pushes | errors | pushes/s | MiB/s | vs Distribution | time per push | registry CPU per push | Distribution's CPU / ours | client CPU per push |\n|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		type row struct {
			size          int
			flow, content string
		}
		var rows []row
		pools := map[string]*pooled{}
		pool := func(subject string, r row) *pooled {
			k := fmt.Sprintf("%s/%d/%s/%s", subject, r.size, r.flow, r.content)
			if pools[k] == nil {
				pools[k] = &pooled{}
			}
			return pools[k]
		}
		for _, p := range sr.Blobs {
			r := row{p.Size, p.Flow, p.Content}
			if !slices.Contains(rows, r) {
				rows = append(rows, r)
			}
			pool(p.Subject, r).add(p.Pushes, p.Seconds, p.CPUPerOp, p.ClientCPUPerOp, p.Workers)
		}
		for _, p := range sr.Blobs {
			peer := pool(Distribution, row{p.Size, p.Flow, p.Content})
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %d | %d | %d | %.1f | %.0f | %s | %.3f s | %.2f ms | %s | %.2f ms |\n", p.Subject, MiB(int64(p.Size)), p.Flow, p.Content, p.Workers, p.Run, p.Pushes, p.Errors, p.Rate, p.MiBps,
				fmtRatio(Ratio(p.Rate, peer.rate())), p.PerPush, p.CPUPerOp*1e3, fmtRatio(Ratio(peer.cpuPerOp(), p.CPUPerOp)), p.ClientCPUPerOp*1e3)
		}
		b.WriteString("\n")
		for _, r := range rows {
			ours, peer := pool(OursDefault, r), pool(Distribution, r)
			if ours.ops == 0 {
				continue
			}
			switch {
			case r.size == sr.Sizes.SmallBlob && peer.ops > 0:
				ratio := Ratio(ours.rate(), peer.rate())
				fmt.Fprintf(&b, "- Target %s blobs (%s, %s content) >= 3x Distribution, runs pooled: %s (%s; %.1f vs %.1f pushes/s).\n", MiB(int64(r.size)), r.flow, r.content, verdict(ratio >= 3), fmtRatio(ratio), ours.rate(), peer.rate())
			case r.size == sr.Sizes.LargeBlob && sr.SHA256 != nil:
				ratio := Ratio(ours.perOp(), sr.SHA256.Seconds)
				fmt.Fprintf(&b, "- Target %s blobs (%s) within 2x of one SHA-256 pass (%.3f s, %.0f MiB/s here), runs pooled: %s (%.3f s per push, %s).\n",
					MiB(int64(r.size)), r.flow, sr.SHA256.Seconds, sr.SHA256.MiBps, verdict(ratio <= 2), ours.perOp(), fmtRatio(ratio))
			}
		}
	}
	return b.String()
}
