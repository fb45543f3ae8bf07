package notifications

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hookbench/hookbench/servers"
)

// BenchmarkNATSQueueAccept is what the request path pays per event with
// queue nats on a local 3-node cluster (R3: the event is on two of three
// nodes' disks when Notify returns), 8 concurrent requests; compare
// BenchmarkDiskQueueAccept.
func BenchmarkNATSQueueAccept(b *testing.B) {
	cluster := servers.NATSClusterForTest(b, 3)
	runs := 0
	b.Run("R3", func(b *testing.B) {
		runs++
		n := newNotifier(b, withDelivery(Config{Endpoints: []EndpointConfig{{Name: "bench", URL: "http://127.0.0.1:1/cb", Threshold: 1, Backoff: time.Hour}}}, "bench", natsDelivery(cluster, fmt.Sprintf("accept%d", runs), 1, time.Minute)))
		a := blobPush("bench/repo", 1)
		b.SetParallelism(4) // 4 x GOMAXPROCS writers
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			for pb.Next() {
				n.Notify(ctx, a) // a new event (id) per call
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		if got := n.Metrics()["bench"].Events; got != b.N {
			b.Fatalf("accepted %d of %d", got, b.N)
		}
	})
}

// BenchmarkNATSQueueDrain delivers a backlog from the stream to a 0 ms
// receiver, by one replica or two; compare BenchmarkDrain's disk cases.
func BenchmarkNATSQueueDrain(b *testing.B) {
	cluster := servers.NATSClusterForTest(b, 3)
	runs := 0
	for _, bc := range []struct {
		name        string
		replicas    int
		concurrency int
		batch       Batch
	}{
		{"unbatched-1replica", 1, 1, Batch{}},
		{"batch100-concurrency4-1replica", 1, 4, Batch{MaxEvents: 100}},
		{"batch100-concurrency4-2replicas", 2, 4, Batch{MaxEvents: 100}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			runs++
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				<-release // the outage
				_, _ = io.Copy(io.Discard, r.Body)
			}))
			defer srv.Close()
			d := natsDelivery(cluster, fmt.Sprintf("drain%d", runs), bc.concurrency, time.Minute)
			d.Batch = bc.batch
			ep := Config{Endpoints: []EndpointConfig{{Name: "bench", URL: srv.URL + "/cb", Timeout: time.Hour}}}
			var ns []*Notifier
			for range bc.replicas {
				ns = append(ns, newNotifier(b, withDelivery(ep, "bench", d)))
			}
			ctx := context.Background()
			for i := range b.N {
				ns[0].Notify(ctx, blobPush(fmt.Sprintf("bench/repo%d", i%16), i))
			}
			b.ResetTimer()
			close(release)
			fctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			defer cancel()
			if err := ns[0].endpoints[0].queue.Flush(fctx); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
