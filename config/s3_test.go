package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

const s3Config = `version: 0.1
storage:
  s3:
    region: us-east-1
    regionendpoint: http://127.0.0.1:9000
    bucket: registry
    rootdirectory: /a/b
    accesskey: AKIA
    secretkey: TOPSECRET-value
    forcepathstyle: true
    skipverify: false
    chunksize: "20971520"
    multipartcopythresholdsize: 67108864
    multipartcopychunksize: 33554432
    multipartcopymaxconcurrency: 10
`

// TestS3 reads Distribution's s3 keys; unset ones take its defaults.
func TestS3(t *testing.T) {
	cfg, warnings, err := Parse([]byte(s3Config), nil)
	if err != nil || len(warnings) != 0 {
		t.Fatalf("%v %q", err, warnings)
	}
	yes := true
	want := &S3{Region: "us-east-1", RegionEndpoint: "http://127.0.0.1:9000", Bucket: "registry", RootDirectory: "/a/b",
		AccessKey: "AKIA", SecretKey: "TOPSECRET-value", ForcePathStyle: true, Secure: &yes,
		ChunkSize: 20 << 20, MultipartCopyThresholdSize: 64 << 20, MultipartCopyChunkSize: 32 << 20, MultipartCopyMaxConcurrency: 10}
	if !reflect.DeepEqual(cfg.Storage.S3, want) {
		t.Fatalf("got  %+v\nwant %+v", *cfg.Storage.S3, *want)
	}

	cfg, _, err = Parse([]byte("version: 0.1\nstorage:\n  s3:\n    region: r\n    bucket: bkt\n    secure: false\n"), []string{"REGISTRY_STORAGE_S3_SECRETKEY=from-env", "REGISTRY_STORAGE_S3_ACCESSKEY=ak"})
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Storage.S3
	if *s.Secure || s.SecretKey != "from-env" || s.ChunkSize != DefaultS3ChunkSize || s.MultipartCopyChunkSize != DefaultS3MultipartCopyChunkSize ||
		s.MultipartCopyThresholdSize != DefaultS3MultipartCopyThresholdSize || s.MultipartCopyMaxConcurrency != DefaultS3MultipartCopyMaxConcurrency {
		t.Fatalf("defaults and env: %+v", *s)
	}
	if _, w, err := Parse([]byte(s3Config+"    v4auth: true\n"), nil); err != nil || len(w) != 1 || !strings.HasPrefix(w[0], "storage.s3.v4auth: ignored") {
		t.Fatalf("v4auth: %v %q", err, w)
	}
}

// TestS3Errors: each problem names its key, and no message shows the
// secret key.
func TestS3Errors(t *testing.T) {
	base := "version: 0.1\nstorage:\n  s3:\n"
	cases := []struct{ yaml, want string }{
		{"    bucket: bkt\n", "storage.s3.region: missing"},
		{"    region: r\n", "storage.s3.bucket: missing"},
		{"    region: r\n    bucket: a/b\n", `storage.s3.bucket: "a/b" is not a bucket name`},
		{"    region: r\n    bucket: bkt\n    regionendpoint: ftp://x\n", "storage.s3.regionendpoint:"},
		{"    region: r\n    bucket: bkt\n    regionendpoint: http://x/path\n", "storage.s3.regionendpoint:"},
		{"    region: r\n    bucket: bkt\n    rootdirectory: /a/../b\n", "storage.s3.rootdirectory:"},
		{"    region: r\n    bucket: bkt\n    secretkey: TOPSECRET-value\n", "storage.s3.accesskey: missing (secretkey is set"},
		{"    region: r\n    bucket: bkt\n    accesskey: a\n", "storage.s3.secretkey: missing"},
		{"    region: r\n    bucket: bkt\n    chunksize: 1024\n", "storage.s3.chunksize: must be from 5242880"},
		{"    region: r\n    bucket: bkt\n    chunksize: big\n", `storage.s3.chunksize: want an integer, got "big"`},
		{"    region: r\n    bucket: bkt\n    multipartcopychunksize: 6442450944\n", "storage.s3.multipartcopychunksize: must be from"},
		{"    region: r\n    bucket: bkt\n    multipartcopymaxconcurrency: -1\n", "storage.s3.multipartcopymaxconcurrency:"},
		{"    region: r\n    bucket: bkt\n    secure: sometimes\n", "storage.s3.secure: want true or false"},
		{"    region: r\n    bucket: bkt\n    encrypt: true\n", "storage.s3.encrypt: server-side encryption is not supported"},
		{"    region: r\n    bucket: bkt\n    secretkey: [TOPSECRET-value]\n", "storage.s3.secretkey: want a string, got a list"},
		{"    region: r\n    bucket: bkt\n    bukket: x\n", "storage.s3.bukket: unknown key"},
		{"    region: r\n    bucket: bkt\n  inmemory:\n", "storage: more than one storage driver"},
	}
	for _, tc := range cases {
		_, _, err := Parse([]byte(base+tc.yaml), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "TOPSECRET") {
			t.Errorf("%q: error shows the secret: %v", tc.yaml, err)
		}
	}
}

// TestSecretNeverShown: printing, logging or JSON of a config hides
// storage.s3.secretkey.
func TestSecretNeverShown(t *testing.T) {
	cfg, _, err := Parse([]byte(s3Config), nil)
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "s3", cfg.Storage.S3, "key", cfg.Storage.S3.SecretKey)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "s3", cfg.Storage.S3, "key", cfg.Storage.S3.SecretKey)
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", *cfg.Storage.S3), fmt.Sprintf("%#v", cfg.Storage.S3), string(js), logged.String()} {
		if strings.Contains(s, "TOPSECRET") {
			t.Fatalf("secret shown: %s", s)
		}
	}
	if string(cfg.Storage.S3.SecretKey) != "TOPSECRET-value" {
		t.Fatal("the value itself is lost")
	}
}
