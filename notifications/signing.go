package notifications

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Standard Webhooks (standardwebhooks.com) headers.
const (
	headerWebhookID        = "webhook-id"
	headerWebhookTimestamp = "webhook-timestamp"
	headerWebhookSignature = "webhook-signature"
)

// decodeSecret reads a "whsec_<base64>" secret (the prefix is optional).
func decodeSecret(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
	if err != nil {
		return nil, errors.New("not a whsec_ base64 secret")
	}
	if len(key) == 0 {
		return nil, errors.New("empty secret")
	}
	return key, nil
}

// signer adds Standard Webhooks signature headers to a POST.
type signer struct {
	keys [][]byte
	now  func() time.Time
}

// secretError is a secret newSigner cannot use, and which one.
type secretError struct {
	setting string
	err     error
}

// newSigner decodes the secrets (nil: no signing). A secret it cannot
// decode is an error rather than skipped: signing with fewer keys than
// asked would fail receivers' checks in a way hard to trace.
func newSigner(secrets []string) (*signer, *secretError) {
	if len(secrets) == 0 {
		return nil, nil
	}
	s := &signer{now: time.Now}
	for i, sec := range secrets {
		key, err := decodeSecret(sec)
		if err != nil {
			return nil, &secretError{setting: fmt.Sprintf("Signing.Secrets[%d]", i), err: err}
		}
		s.keys = append(s.keys, key)
	}
	return s, nil
}

// deliveryID is the webhook-id of a POST: the event's id, or for a batch
// an id derived from its events' ids, so it is the same on every retry.
func deliveryID(events []Event) string {
	if len(events) == 1 {
		return events[0].ID
	}
	var b strings.Builder
	for _, e := range events {
		b.WriteString(e.ID)
		b.WriteByte(',')
	}
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte(b.String())).String()
}

// sign sets the headers for body: one "v1,<base64 HMAC-SHA256>" per key
// over "id.timestamp.body", space separated.
func (s *signer) sign(h http.Header, id string, body []byte) {
	ts := strconv.FormatInt(s.now().Unix(), 10)
	sigs := make([]string, 0, len(s.keys))
	for _, key := range s.keys {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id))
		mac.Write([]byte{'.'})
		mac.Write([]byte(ts))
		mac.Write([]byte{'.'})
		mac.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	h.Set(headerWebhookID, id)
	h.Set(headerWebhookTimestamp, ts)
	h.Set(headerWebhookSignature, strings.Join(sigs, " "))
}
