package notifications

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
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

func newSigner(secrets []string) *signer {
	if len(secrets) == 0 {
		return nil
	}
	s := &signer{now: time.Now}
	for _, sec := range secrets {
		key, err := decodeSecret(sec)
		if err == nil { // checked at New
			s.keys = append(s.keys, key)
		}
	}
	return s
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
