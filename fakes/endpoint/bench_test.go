package endpoint

import (
	"bytes"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// A Distribution-shaped event (as in shared/compat) with its id cut out.
const (
	evHead = `{"id":"`
	evTail = `","timestamp":"2026-11-24T11:11:24.764135452Z","action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json",` +
		`"digest":"sha256:e20859abd7898fa374af998dece8e74642307c19faef270f26fb0b8c9c0a459e","size":395,"length":395,"repository":"test/repo",` +
		`"url":"http://127.0.0.1:5000/v2/test/repo/manifests/sha256:e20859abd7898fa374af998dece8e74642307c19faef270f26fb0b8c9c0a459e","tag":"latest"},` +
		`"request":{"id":"01a20d40-de59-7973-a9a0-2e7f80edc4e3","addr":"127.0.0.1:32886","host":"127.0.0.1:5000","method":"PUT","useragent":"curl/7.88.1"},` +
		`"actor":{},"source":{"addr":"vm:5000","instanceID":"01a20d40-88d9-7140-8125-faf7ac409824"}}`
)

func benchEnvelope(buf *bytes.Buffer, next *atomic.Int64, n int) []byte {
	buf.Reset()
	buf.WriteString(`{"events":[`)
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(evHead)
		buf.WriteString("bench-")
		buf.WriteString(strconv.FormatInt(next.Add(1), 10))
		buf.WriteString(evTail)
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}

func benchReceive(b *testing.B, perPost int, keepAlive bool) {
	s := start(b, WithLedgerCap(100_000))
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableKeepAlives: !keepAlive}
	c := &http.Client{Timeout: 10 * time.Second, Transport: tr}
	url := s.URL() + "/callback"
	var next atomic.Int64
	b.SetParallelism(4) // 4*GOMAXPROCS concurrent senders
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var buf bytes.Buffer
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(benchEnvelope(&buf, &next, perPost)))
			req.Header.Set("Content-Type", MediaTypeEvents)
			resp, err := c.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	st := s.Stats()
	if st.Events != b.N*perPost || st.Unique != b.N*perPost {
		b.Fatalf("counted %d events (%d unique), sent %d", st.Events, st.Unique, b.N*perPost)
	}
	b.ReportMetric(float64(st.Events)/b.Elapsed().Seconds(), "events/s")
	tr.CloseIdleConnections()
}

// Batched envelopes (100 events per POST), kept-alive connections.
func BenchmarkReceiveBatched100(b *testing.B) { benchReceive(b, 100, true) }

// One event per POST, kept-alive connections.
func BenchmarkReceiveOnePerPost(b *testing.B) { benchReceive(b, 1, true) }

// One event per POST on a new TCP connection each, as Distribution sends.
func BenchmarkReceiveOnePerPostNewConn(b *testing.B) { benchReceive(b, 1, false) }
