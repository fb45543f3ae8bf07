// Package s3 is a storage.Driver on an S3-compatible object store (AWS S3,
// MinIO, ...), so that several registry replicas can share one store.
//
// Every piece of state lives in the bucket, under the root directory:
//
//	blobs/<alg>/<hex[:2]>/<hex>/data                              content, shared by all repositories
//	repositories/<name>/_layers/<alg>/<hex>/link                  "<digest> <size>": the blob is in this repository
//	repositories/<name>/_manifests/revisions/<alg>/<hex>/data     a manifest with its descriptor (JSON)
//	repositories/<name>/_manifests/tags/<tag>/current             the digest a tag points at
//	repositories/<name>/_manifests/referrers/<alg>/<hex>/<alg>/<hex>  a referrer's descriptor, by subject
//	repositories/<name>/_manifests/held                           written by deletes: the repository existed
//	_uploads/<id>/repository/<name>                               an upload session and its repository
//	_uploads/<id>/parts/<offset>                                  the bytes of one PATCH, from offset
//
// A chunked upload is therefore continued by whichever replica gets its
// next request: no replica keeps anything about it in memory. Blob content
// becomes visible only once its digest is verified: a blob received in one
// request is hashed while it streams into a multipart upload that is
// completed only when the digest matches (or held in memory and PUT once,
// when it fits in one chunk); a chunked upload is hashed from its parts and
// then copied server-side (or streamed again when its parts are too small
// for a multipart copy).
//
// Failures of the store that a retry may cure (network errors, 5xx) wrap
// storage.ErrUnavailable, which the registry answers with 503 UNAVAILABLE.
package s3

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	digest "github.com/opencontainers/go-digest"

	"github.com/hookbench/hookbench/registry/storage"
)

// S3's limits on multipart uploads and copies.
const (
	MinChunkSize = 5 << 20 // smallest part but the last
	MaxChunkSize = 5 << 30 // largest part
)

// Defaults, as in Distribution's s3 driver.
const (
	DefaultChunkSize                   = 10 << 20
	DefaultMultipartCopyChunkSize      = 32 << 20
	DefaultMultipartCopyThresholdSize  = 32 << 20
	DefaultMultipartCopyMaxConcurrency = 100
	DefaultMaxRetries                  = 4
)

// Config says where the store is and how to use it. Zero sizes take the
// defaults above.
type Config struct {
	Region         string
	RegionEndpoint string // URL or host[:port] of an S3-compatible service; empty: AWS
	Bucket         string
	RootDirectory  string // key prefix; empty: the bucket's top
	AccessKey      string
	SecretKey      string // never logged or shown (see LogValue and String)
	ForcePathStyle bool
	Secure         bool // HTTPS when RegionEndpoint has no scheme (or is empty)
	SkipVerify     bool

	ChunkSize                   int64 // part size of multipart uploads
	MultipartCopyThresholdSize  int64 // copies larger than this use a multipart copy
	MultipartCopyChunkSize      int64 // part size of a multipart copy
	MultipartCopyMaxConcurrency int   // parts copied at once
}

// String describes c without its secret key.
func (c Config) String() string {
	return fmt.Sprintf("s3://%s/%s (region %s, endpoint %q)", c.Bucket, strings.Trim(c.RootDirectory, "/"), c.Region, c.RegionEndpoint)
}

// GoString keeps %#v from printing the secret key.
func (c Config) GoString() string { return "s3.Config{" + c.String() + "}" }

// LogValue keeps slog from printing the secret key.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Option configures a Driver beyond its Config (tests, tuning).
type Option func(*options)

type options struct {
	transport  http.RoundTripper
	maxRetries int
}

// WithTransport sets the HTTP transport (default: minio-go's, with short
// dial and response-header timeouts so an outage is noticed).
func WithTransport(t http.RoundTripper) Option { return func(o *options) { o.transport = t } }

// WithMaxRetries sets how many times a failed request is tried in all
// (default DefaultMaxRetries). Each retry waits longer, so this bounds how
// long a request waits for a store that is down before answering 503.
func WithMaxRetries(n int) Option { return func(o *options) { o.maxRetries = n } }

// Driver is an S3 storage.Driver. It is safe for concurrent use, by any
// number of processes sharing the bucket.
type Driver struct {
	client *minio.Client
	core   minio.Core
	bucket string
	root   string // "" or "prefix/"
	cfg    Config
}

var _ storage.Driver = (*Driver)(nil)

// New returns a driver for cfg. It does not contact the store, so a
// replica starts while the store is down (its requests answer 503).
func New(cfg Config, opts ...Option) (*Driver, error) {
	o := options{maxRetries: DefaultMaxRetries}
	for _, opt := range opts {
		opt(&o)
	}
	if cfg.Bucket == "" {
		return nil, errors.New("s3: no bucket")
	}
	if cfg.Region == "" {
		return nil, errors.New("s3: no region")
	}
	if cfg.ChunkSize == 0 {
		cfg.ChunkSize = DefaultChunkSize
	}
	if cfg.MultipartCopyChunkSize == 0 {
		cfg.MultipartCopyChunkSize = DefaultMultipartCopyChunkSize
	}
	if cfg.MultipartCopyThresholdSize == 0 {
		cfg.MultipartCopyThresholdSize = DefaultMultipartCopyThresholdSize
	}
	if cfg.MultipartCopyMaxConcurrency == 0 {
		cfg.MultipartCopyMaxConcurrency = DefaultMultipartCopyMaxConcurrency
	}
	if cfg.ChunkSize < MinChunkSize || cfg.ChunkSize > MaxChunkSize {
		return nil, fmt.Errorf("s3: chunk size %d outside %d..%d", cfg.ChunkSize, MinChunkSize, MaxChunkSize)
	}
	if cfg.MultipartCopyChunkSize < MinChunkSize || cfg.MultipartCopyChunkSize > MaxChunkSize {
		return nil, fmt.Errorf("s3: multipart copy chunk size %d outside %d..%d", cfg.MultipartCopyChunkSize, MinChunkSize, MaxChunkSize)
	}
	endpoint, secure, err := endpointOf(cfg)
	if err != nil {
		return nil, err
	}
	if o.transport == nil {
		t, err := minio.DefaultTransport(secure)
		if err != nil {
			return nil, fmt.Errorf("s3: %w", err)
		}
		t.DialContext = (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		t.ResponseHeaderTimeout = 30 * time.Second // a store that accepts but never answers is down
		if cfg.SkipVerify {
			if t.TLSClientConfig == nil {
				t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
			}
			t.TLSClientConfig.InsecureSkipVerify = true
		}
		o.transport = t
	}
	var creds *credentials.Credentials
	if cfg.AccessKey != "" || cfg.SecretKey != "" {
		creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")
	} else {
		// As Distribution: without keys, the environment or the instance role.
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{}, &credentials.FileAWSCredentials{}, &credentials.IAM{},
		})
	}
	lookup := minio.BucketLookupAuto
	if cfg.ForcePathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds:        creds,
		Secure:       secure,
		Transport:    o.transport,
		Region:       cfg.Region,
		BucketLookup: lookup,
		MaxRetries:   o.maxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	root := strings.Trim(cfg.RootDirectory, "/")
	if root != "" {
		root += "/"
	}
	return &Driver{client: client, core: minio.Core{Client: client}, bucket: cfg.Bucket, root: root, cfg: cfg}, nil
}

// endpointOf turns RegionEndpoint into minio-go's host[:port] and TLS
// choice. A scheme in the endpoint wins over Secure, as with the AWS SDK
// Distribution uses.
func endpointOf(cfg Config) (string, bool, error) {
	ep := cfg.RegionEndpoint
	if ep == "" {
		return "s3.amazonaws.com", cfg.Secure, nil // minio-go picks the regional host
	}
	if !strings.Contains(ep, "://") {
		return strings.TrimSuffix(ep, "/"), cfg.Secure, nil
	}
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return "", false, fmt.Errorf("s3: region endpoint %q is not scheme://host[:port]", ep)
	}
	switch u.Scheme {
	case "http":
		return u.Host, false, nil
	case "https":
		return u.Host, true, nil
	}
	return "", false, fmt.Errorf("s3: region endpoint %q: scheme must be http or https", ep)
}

// Ping checks that the bucket is reachable and exists.
func (d *Driver) Ping(ctx context.Context) error {
	ok, err := d.client.BucketExists(ctx, d.bucket)
	if err != nil {
		return d.fail("bucket", "", err)
	}
	if !ok {
		return fmt.Errorf("s3: bucket %q does not exist", d.bucket)
	}
	return nil
}

// Keys. Callers validated names, tags, ids and digests, so a key built
// from them has no "..", no empty segment and nothing to escape.

func (d *Driver) key(parts ...string) string { return d.root + path.Join(parts...) }

func (d *Driver) blobKey(dg digest.Digest) string {
	hex := dg.Encoded()
	return d.key("blobs", string(dg.Algorithm()), hex[:2], hex, "data")
}

func (d *Driver) repoKey(name string, parts ...string) string {
	return d.key(append([]string{"repositories", name}, parts...)...)
}

func (d *Driver) linkKey(name string, dg digest.Digest) string {
	return d.repoKey(name, "_layers", string(dg.Algorithm()), dg.Encoded(), "link")
}

func (d *Driver) revisionKey(name string, dg digest.Digest) string {
	return d.repoKey(name, "_manifests", "revisions", string(dg.Algorithm()), dg.Encoded(), "data")
}

func (d *Driver) tagKey(name, tag string) string {
	return d.repoKey(name, "_manifests", "tags", tag, "current")
}

func (d *Driver) referrersPrefix(name string, subject digest.Digest) string {
	return d.repoKey(name, "_manifests", "referrers", string(subject.Algorithm()), subject.Encoded()) + "/"
}

func (d *Driver) referrerKey(name string, subject, dg digest.Digest) string {
	return d.referrersPrefix(name, subject) + string(dg.Algorithm()) + "/" + dg.Encoded()
}

func (d *Driver) uploadPrefix(id string) string { return d.key("_uploads", id) + "/" }

func (d *Driver) uploadOwnerKey(id, name string) string {
	return d.uploadPrefix(id) + "repository/" + name
}

func (d *Driver) partKey(id string, offset int64) string {
	return fmt.Sprintf("%sparts/%020d", d.uploadPrefix(id), offset)
}

// Errors.

// isNotFound reports a missing key (or multipart upload).
func isNotFound(err error) bool {
	var r minio.ErrorResponse
	if !errors.As(err, &r) {
		return false
	}
	return r.Code == "NoSuchKey" || r.Code == "NoSuchUpload" || (r.StatusCode == http.StatusNotFound && r.Code != "NoSuchBucket")
}

func isPreconditionFailed(err error) bool {
	var r minio.ErrorResponse
	return errors.As(err, &r) && r.StatusCode == http.StatusPreconditionFailed
}

// fail wraps an error of the store: what a retry may cure (no answer, a
// 5xx, throttling) wraps storage.ErrUnavailable; an answer that says the
// request is wrong (403 AccessDenied, 404 NoSuchBucket) does not, since
// retrying will not help. A canceled request stays canceled.
func (d *Driver) fail(op, key string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	var r minio.ErrorResponse
	if errors.As(err, &r) && r.StatusCode > 0 && r.StatusCode < 500 &&
		r.StatusCode != http.StatusTooManyRequests && r.StatusCode != http.StatusRequestTimeout && r.Code != "SlowDown" {
		return fmt.Errorf("s3 %s %s: %w", op, key, err)
	}
	return fmt.Errorf("s3 %s %s: %w: %w", op, key, storage.ErrUnavailable, err)
}

// notFoundAs maps a missing key to want, and wraps other errors.
func (d *Driver) notFoundAs(op, key string, err error, want error) error {
	if isNotFound(err) {
		return want
	}
	return d.fail(op, key, err)
}

// Small objects.

func (d *Driver) putSmall(ctx context.Context, key string, data []byte, opts minio.PutObjectOptions) error {
	_, err := d.client.PutObject(ctx, d.bucket, key, bytesReader(data), int64(len(data)), opts)
	return err
}

func (d *Driver) getSmall(ctx context.Context, key string) ([]byte, error) {
	rc, _, _, err := d.core.GetObject(ctx, d.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, 64<<20)) // manifests are capped far lower
}

func (d *Driver) remove(ctx context.Context, key string) error {
	return d.client.RemoveObject(ctx, d.bucket, key, minio.RemoveObjectOptions{})
}

// removeAll deletes keys in batches (one request per 1000 keys).
func (d *Driver) removeAll(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	ch := make(chan minio.ObjectInfo, len(keys))
	for _, k := range keys {
		ch <- minio.ObjectInfo{Key: k}
	}
	close(ch)
	var errs []error
	for e := range d.client.RemoveObjects(ctx, d.bucket, ch, minio.RemoveObjectsOptions{}) {
		if e.Err != nil && !isNotFound(e.Err) {
			errs = append(errs, d.fail("delete", e.ObjectName, e.Err))
		}
	}
	return errors.Join(errs...)
}

// list calls f for every object under prefix (recursive) or for every
// object and common prefix directly under it, in key order; f returns
// false to stop.
func (d *Driver) list(ctx context.Context, prefix string, recursive bool, f func(minio.ObjectInfo) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing when f stops early
	for o := range d.client.ListObjectsIter(ctx, d.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: recursive}) {
		if o.Err != nil {
			return d.fail("list", prefix, o.Err)
		}
		if !f(o) {
			return nil
		}
	}
	return nil
}

// exists reports whether any object is under prefix.
func (d *Driver) exists(ctx context.Context, prefix string) (bool, error) {
	found := false
	err := d.list(ctx, prefix, true, func(minio.ObjectInfo) bool { found = true; return false })
	return found, err
}

// Blobs.

// link records that repository name holds blob dg of size bytes.
func (d *Driver) link(ctx context.Context, name string, dg digest.Digest, size int64) error {
	key := d.linkKey(name, dg)
	return d.fail("put", key, d.putSmall(ctx, key, []byte(string(dg)+" "+strconv.FormatInt(size, 10)), minio.PutObjectOptions{ContentType: "text/plain"}))
}

// linked returns the size of blob dg in repository name.
func (d *Driver) linked(ctx context.Context, name string, dg digest.Digest) (int64, error) {
	key := d.linkKey(name, dg)
	b, err := d.getSmall(ctx, key)
	if err != nil {
		return 0, d.notFoundAs("get", key, err, storage.ErrBlobUnknown)
	}
	ds, ss, ok := strings.Cut(strings.TrimSpace(string(b)), " ")
	size, perr := strconv.ParseInt(ss, 10, 64)
	if !ok || ds != string(dg) || perr != nil || size < 0 {
		return 0, fmt.Errorf("s3: corrupt link %s", key)
	}
	return size, nil
}

// BlobStat implements storage.Driver.
func (d *Driver) BlobStat(ctx context.Context, name string, dg digest.Digest) (int64, error) {
	return d.linked(ctx, name, dg)
}

// BlobOpen implements storage.Driver.
func (d *Driver) BlobOpen(ctx context.Context, name string, dg digest.Digest) (io.ReadSeekCloser, int64, error) {
	if _, err := d.linked(ctx, name, dg); err != nil {
		return nil, 0, err
	}
	key := d.blobKey(dg)
	obj, err := d.client.GetObject(ctx, d.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, 0, d.notFoundAs("get", key, err, storage.ErrBlobUnknown)
	}
	info, err := obj.Stat() // sends the request: errors show here, not mid-body
	if err != nil {
		obj.Close()
		return nil, 0, d.notFoundAs("get", key, err, storage.ErrBlobUnknown)
	}
	return &object{Object: obj, d: d, key: key}, info.Size, nil
}

// object wraps the errors of reading a blob, so a store that fails while
// a blob is served is reported as unavailable.
type object struct {
	*minio.Object
	d   *Driver
	key string
}

func (o *object) Read(p []byte) (int, error) {
	n, err := o.Object.Read(p)
	if err != nil && err != io.EOF {
		err = o.d.fail("read", o.key, err)
	}
	return n, err
}

// BlobDelete implements storage.Driver.
func (d *Driver) BlobDelete(ctx context.Context, name string, dg digest.Digest) error {
	if _, err := d.linked(ctx, name, dg); err != nil {
		return err
	}
	if err := d.markHeld(ctx, name); err != nil {
		return err
	}
	key := d.linkKey(name, dg)
	return d.fail("delete", key, d.remove(ctx, key))
}

// BlobMount implements storage.Driver.
func (d *Driver) BlobMount(ctx context.Context, from, name string, dg digest.Digest) (int64, error) {
	var size int64
	if from == "" {
		key := d.blobKey(dg)
		info, err := d.client.StatObject(ctx, d.bucket, key, minio.StatObjectOptions{})
		if err != nil {
			return 0, d.notFoundAs("stat", key, err, storage.ErrBlobUnknown)
		}
		size = info.Size
	} else {
		var err error
		if size, err = d.linked(ctx, from, dg); err != nil {
			return 0, err
		}
	}
	return size, d.link(ctx, name, dg, size)
}

// BlobPut implements storage.Driver.
func (d *Driver) BlobPut(ctx context.Context, name string, dg digest.Digest, r io.Reader) (int64, error) {
	n, err := d.putVerified(ctx, d.blobKey(dg), dg, r)
	if err != nil {
		return n, err
	}
	return n, d.link(ctx, name, dg, n)
}

// markHeld records that a repository existed, so that deleting all of its
// content leaves it known (as the other drivers do): Tags answers an empty
// list, not NAME_UNKNOWN.
func (d *Driver) markHeld(ctx context.Context, name string) error {
	key := d.repoKey(name, "_manifests", "held")
	return d.fail("put", key, d.putSmall(ctx, key, nil, minio.PutObjectOptions{}))
}

// holds reports whether a repository has ever held a manifest or blob.
func (d *Driver) holds(ctx context.Context, name string) (bool, error) {
	for _, dir := range []string{"_manifests", "_layers"} {
		ok, err := d.exists(ctx, d.repoKey(name, dir)+"/")
		if ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// Repositories implements storage.Driver: the names before a _manifests
// or _layers segment of every key under repositories/.
func (d *Driver) Repositories(ctx context.Context) ([]string, error) {
	base := d.key("repositories") + "/"
	seen := map[string]bool{}
	var out []string
	err := d.list(ctx, base, true, func(o minio.ObjectInfo) bool {
		rest := strings.TrimPrefix(o.Key, base)
		for _, marker := range []string{"/_manifests/", "/_layers/"} {
			if i := strings.Index(rest, marker); i > 0 {
				if name := rest[:i]; !seen[name] {
					seen[name] = true
					out = append(out, name)
				}
				break
			}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	sortStrings(out)
	return out, nil
}
