package s3

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/minio/minio-go/v7"
	digest "github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/hookbench/hookbench/registry/storage"
)

// record is a stored manifest: its content and how it is described.
type record struct {
	Descriptor v1.Descriptor `json:"descriptor"`
	Subject    digest.Digest `json:"subject,omitempty"`
	Content    []byte        `json:"content"`
}

// ManifestPut implements storage.Driver. The revision is written first,
// then its referrer entry, then its tags, so a tag never points at a
// manifest that is not stored.
func (d *Driver) ManifestPut(ctx context.Context, name string, m storage.Manifest, tags ...string) error {
	dg := m.Descriptor.Digest
	data, err := json.Marshal(record{Descriptor: m.Descriptor, Subject: m.Subject, Content: m.Content})
	if err != nil {
		return fmt.Errorf("s3: %w", err)
	}
	key := d.revisionKey(name, dg)
	if err := d.putSmall(ctx, key, data, minio.PutObjectOptions{ContentType: "application/json"}); err != nil {
		return d.fail("put", key, err)
	}
	if m.Subject != "" {
		desc, err := json.Marshal(m.Descriptor)
		if err != nil {
			return fmt.Errorf("s3: %w", err)
		}
		key := d.referrerKey(name, m.Subject, dg)
		if err := d.putSmall(ctx, key, desc, minio.PutObjectOptions{ContentType: "application/json"}); err != nil {
			return d.fail("put", key, err)
		}
	}
	for _, t := range tags {
		key := d.tagKey(name, t)
		if err := d.putSmall(ctx, key, []byte(dg), minio.PutObjectOptions{ContentType: "text/plain"}); err != nil {
			return d.fail("put", key, err)
		}
	}
	return nil
}

func (d *Driver) record(ctx context.Context, name string, dg digest.Digest) (record, error) {
	key := d.revisionKey(name, dg)
	data, err := d.getSmall(ctx, key)
	if err != nil {
		return record{}, d.notFoundAs("get", key, err, storage.ErrManifestUnknown)
	}
	var r record
	if err := json.Unmarshal(data, &r); err != nil || r.Descriptor.Digest != dg {
		return record{}, fmt.Errorf("s3: corrupt manifest %s", key)
	}
	return r, nil
}

// ManifestGet implements storage.Driver.
func (d *Driver) ManifestGet(ctx context.Context, name string, dg digest.Digest) (storage.Manifest, error) {
	r, err := d.record(ctx, name, dg)
	if err != nil {
		return storage.Manifest{}, err
	}
	return storage.Manifest{Descriptor: r.Descriptor, Subject: r.Subject, Content: r.Content}, nil
}

// ManifestDelete implements storage.Driver: tags first, then the referrer
// entry, then the revision, so a delete cut short can be repeated.
func (d *Driver) ManifestDelete(ctx context.Context, name string, dg digest.Digest) ([]string, error) {
	r, err := d.record(ctx, name, dg)
	if err != nil {
		return nil, err
	}
	if err := d.markHeld(ctx, name); err != nil {
		return nil, err
	}
	tags, err := d.tagList(ctx, name)
	if err != nil {
		return nil, err
	}
	var gone []string
	for _, t := range tags {
		td, err := d.TagResolve(ctx, name, t)
		if errors.Is(err, storage.ErrTagUnknown) {
			continue // deleted since the listing
		}
		if err != nil {
			return nil, err
		}
		if td != dg {
			continue
		}
		key := d.tagKey(name, t)
		if err := d.remove(ctx, key); err != nil {
			return nil, d.fail("delete", key, err)
		}
		gone = append(gone, t)
	}
	var keys []string
	if r.Subject != "" {
		keys = append(keys, d.referrerKey(name, r.Subject, dg))
	}
	keys = append(keys, d.revisionKey(name, dg))
	for _, key := range keys {
		if err := d.remove(ctx, key); err != nil {
			return nil, d.fail("delete", key, err)
		}
	}
	return gone, nil
}

// TagResolve implements storage.Driver.
func (d *Driver) TagResolve(ctx context.Context, name, tag string) (digest.Digest, error) {
	key := d.tagKey(name, tag)
	data, err := d.getSmall(ctx, key)
	if err != nil {
		return "", d.notFoundAs("get", key, err, storage.ErrTagUnknown)
	}
	dg, err := digest.Parse(strings.TrimSpace(string(data)))
	if err != nil {
		return "", fmt.Errorf("s3: corrupt tag %s", key)
	}
	return dg, nil
}

// TagDelete implements storage.Driver.
func (d *Driver) TagDelete(ctx context.Context, name, tag string) (digest.Digest, error) {
	dg, err := d.TagResolve(ctx, name, tag)
	if err != nil {
		return "", err
	}
	if err := d.markHeld(ctx, name); err != nil {
		return "", err
	}
	key := d.tagKey(name, tag)
	return dg, d.fail("delete", key, d.remove(ctx, key))
}

// tagList lists repository name's tags in lexical order.
func (d *Driver) tagList(ctx context.Context, name string) ([]string, error) {
	prefix := d.repoKey(name, "_manifests", "tags") + "/"
	var tags []string
	err := d.list(ctx, prefix, true, func(o minio.ObjectInfo) bool {
		if t, ok := strings.CutSuffix(strings.TrimPrefix(o.Key, prefix), "/current"); ok && !strings.Contains(t, "/") {
			tags = append(tags, t)
		}
		return true
	})
	sortStrings(tags)
	return tags, err
}

// Tags implements storage.Driver.
func (d *Driver) Tags(ctx context.Context, name string) ([]string, error) {
	tags, err := d.tagList(ctx, name)
	if err != nil || len(tags) > 0 {
		return tags, err
	}
	held, err := d.holds(ctx, name)
	if err != nil {
		return nil, err
	}
	if !held {
		return nil, storage.ErrRepositoryUnknown
	}
	return []string{}, nil
}

// Referrers implements storage.Driver.
func (d *Driver) Referrers(ctx context.Context, name string, subject digest.Digest) ([]v1.Descriptor, error) {
	prefix := d.referrersPrefix(name, subject)
	var keys []string
	if err := d.list(ctx, prefix, true, func(o minio.ObjectInfo) bool {
		keys = append(keys, o.Key)
		return true
	}); err != nil {
		return nil, err
	}
	out := make([]v1.Descriptor, 0, len(keys))
	for _, key := range keys {
		data, err := d.getSmall(ctx, key)
		if isNotFound(err) {
			continue // deleted since the listing
		}
		if err != nil {
			return nil, d.fail("get", key, err)
		}
		var desc v1.Descriptor
		if err := json.Unmarshal(data, &desc); err != nil {
			return nil, fmt.Errorf("s3: corrupt referrer %s", key)
		}
		out = append(out, desc)
	}
	slices.SortFunc(out, func(a, b v1.Descriptor) int { return strings.Compare(string(a.Digest), string(b.Digest)) })
	return out, nil
}
