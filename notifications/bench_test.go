package notifications

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

// answer200 is a RoundTripper that answers 200 without any network, so
// the benchmark measures the pipeline: bridge, broadcast, filter, queue,
// retrying stage, envelope encoding, request building and counting.
type answer200 struct{}

func (answer200) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Body: http.NoBody, Header: http.Header{}, Request: r}, nil
}

// deliverN notifies n events and waits until all are delivered.
func deliverN(b *testing.B, n *Notifier, count int) {
	ctx := context.Background()
	for i := range count {
		n.Notify(ctx, blobPush("bench/repo", i))
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := n.endpoints[0].queue.Flush(ctx); err != nil {
		b.Fatalf("%d of %d delivered: %v", n.Metrics()["bench"].Successes, count, err)
	}
}

// BenchmarkPipelineNoNetwork is the cost per event of everything but the
// network.
func BenchmarkPipelineNoNetwork(b *testing.B) {
	n := newNotifier(b, Config{Endpoints: []EndpointConfig{{Name: "bench", URL: "http://127.0.0.1:1/cb"}}},
		WithHTTPClient(&http.Client{Transport: answer200{}}))
	b.ReportAllocs()
	b.ResetTimer()
	deliverN(b, n, b.N)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkNotify is what the registry's request path pays per event.
func BenchmarkNotify(b *testing.B) {
	n := newNotifier(b, Config{Endpoints: []EndpointConfig{{Name: "bench", URL: "http://127.0.0.1:1/cb"}}},
		WithHTTPClient(&http.Client{Transport: answer200{}}))
	a := blobPush("bench/repo", 1)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		n.Notify(ctx, a)
	}
}

// BenchmarkEndToEndLocal delivers to a local receiver that answers 200 at
// once: events/s through the whole pipeline over loopback HTTP.
func BenchmarkEndToEndLocal(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	n := newNotifier(b, Config{Endpoints: []EndpointConfig{{Name: "bench", URL: srv.URL + "/cb"}}})
	b.ReportAllocs()
	b.ResetTimer()
	deliverN(b, n, b.N)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkEndToEndLocalNoKeepAlive is the same with a new TCP connection
// per POST, as Distribution does: the like-for-like comparison.
func BenchmarkEndToEndLocalNoKeepAlive(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	n := newNotifier(b, Config{Endpoints: []EndpointConfig{{Name: "bench", URL: srv.URL + "/cb"}}},
		WithHTTPClient(&http.Client{Transport: tr}))
	b.ReportAllocs()
	b.ResetTimer()
	deliverN(b, n, b.N)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDelivery10ms delivers to a receiver that takes 10 ms per POST
// (issue 8's throughput case): Distribution's behaviour against batching
// and concurrency.
func BenchmarkDelivery10ms(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		time.Sleep(10 * time.Millisecond) // the receiver's work
	}))
	defer srv.Close()
	for _, bc := range []struct {
		name string
		d    Delivery
	}{
		{"default", Delivery{}},
		{"batch50", Delivery{Batch: Batch{MaxEvents: 50}}},
		{"concurrency8", Delivery{Concurrency: 8}},
		{"batch50-concurrency8", Delivery{Batch: Batch{MaxEvents: 50}, Concurrency: 8}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			n := newNotifier(b, delivering(Config{Endpoints: []EndpointConfig{{Name: "bench", URL: srv.URL + "/cb"}}}, bc.d))
			ctx := context.Background()
			b.ResetTimer()
			for i := range b.N {
				n.Notify(ctx, blobPush(fmt.Sprintf("bench/repo%d", i%16), i))
			}
			fctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			defer cancel()
			if err := n.endpoints[0].queue.Flush(fctx); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkDiskQueueAccept is what the request path pays per event with
// queue: disk (the event is on disk when Notify returns), with 8
// concurrent requests sharing group commits.
func BenchmarkDiskQueueAccept(b *testing.B) {
	n := newNotifier(b, delivering(Config{Endpoints: []EndpointConfig{{Name: "bench", URL: "http://127.0.0.1:1/cb", Threshold: 1, Backoff: time.Hour}}}, Delivery{Queue: Queue{Kind: "disk", Path: b.TempDir() + "/q.db"}}))
	a := blobPush("bench/repo", 1)
	b.SetParallelism(4) // 4 x GOMAXPROCS writers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			n.Notify(ctx, a)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDrain delivers a backlog queued during an outage to a 0 ms
// receiver once it is back: Distribution's mode against the opt-ins.
func BenchmarkDrain(b *testing.B) {
	for _, bc := range []struct {
		name string
		d    func(dir string) Delivery
	}{
		{"memory-default", func(string) Delivery { return Delivery{} }},
		{"memory-batch100-concurrency4", func(string) Delivery { return Delivery{Batch: Batch{MaxEvents: 100}, Concurrency: 4} }},
		{"disk-unbatched", func(dir string) Delivery { return Delivery{Queue: Queue{Kind: "disk", Path: dir + "/q.db"}} }},
		{"disk-batch100-concurrency4", func(dir string) Delivery {
			return Delivery{Batch: Batch{MaxEvents: 100}, Concurrency: 4, Queue: Queue{Kind: "disk", Path: dir + "/q.db"}}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				<-release // the outage
				_, _ = io.Copy(io.Discard, r.Body)
			}))
			defer srv.Close()
			n := newNotifier(b, delivering(Config{Endpoints: []EndpointConfig{{Name: "bench", URL: srv.URL + "/cb", Timeout: time.Hour}}}, bc.d(b.TempDir())))
			ctx := context.Background()
			for i := range b.N {
				n.Notify(ctx, blobPush(fmt.Sprintf("bench/repo%d", i%16), i))
			}
			b.ResetTimer()
			close(release)
			fctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			defer cancel()
			if err := n.endpoints[0].queue.Flush(fctx); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkBacklogHeap reports the heap held per pending event while an
// endpoint is down (memory queue; a disk queue holds none).
func BenchmarkBacklogHeap(b *testing.B) {
	const backlog = 100_000
	for range b.N {
		n, err := New(Config{Endpoints: []EndpointConfig{{Name: "bench", URL: "http://127.0.0.1:1/cb", Threshold: 1, Backoff: time.Hour}}},
			WithLogger(discardLogger()))
		if err != nil {
			b.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		ctx := context.Background()
		for i := range backlog {
			n.Notify(ctx, blobPush(fmt.Sprintf("bench/repo%d", i%16), i))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/backlog, "heapB/event")
		sctx, cancel := context.WithTimeout(ctx, time.Millisecond)
		n.Shutdown(sctx)
		cancel()
	}
}
