package e2e_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/hookbench/hookbench/harness"
	"github.com/hookbench/hookbench/harness/runtime/docker"
	"github.com/hookbench/hookbench/scenarios"
	ht "github.com/hookbench/hookbench/tests/harnesstest"
)

// Not Ordered and no docker.Cleanup: this spec may run beside other
// sessions' containers and removes only what it made.
var _ = Describe("a user's own receiver behind the fake in a container", Label("e2e"), func() {
	It("passes flaky-5xx with the fake's faults in front of a receiver on this host", func(ctx SpecContext) {
		if err := docker.Ping(ctx); err != nil {
			ht.SkipOrFail(err.Error())
		}
		images, err := docker.BuildImages(ctx, ht.RepoRoot())
		Expect(err).NotTo(HaveOccurred())
		// Every interface: the container dials the host's bridge gateway.
		l, err := net.Listen("tcp", ":0")
		Expect(err).NotTo(HaveOccurred())
		var got atomic.Int64
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			got.Add(1)
		}), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(l) }()
		DeferCleanup(srv.Close)

		sc, ok := scenarios.MustCatalog().Get("flaky-5xx")
		Expect(ok).To(BeTrue())
		// Two more hops (toxiproxy, then the host gateway) than the 300ms
		// notification timeout was chosen for: on a loaded machine a
		// connection may outlast it, an Error no receiver saw.
		sc.Endpoints[0].Timeout = 3 * time.Second
		url := fmt.Sprintf("http://host.docker.internal:%d/hook", l.Addr().(*net.TCPAddr).Port)
		res := ht.RunScenario(ctx, "e2e", e2eRuntime(ctx, images), sc, harness.RunOptions{Receivers: map[string]string{"sink": url}})
		ht.ExpectPassed(res)
		Expect(res.Fakes["sink"].Forwarded).To(BeEquivalentTo(got.Load()), "every delivery the fake forwarded reached the receiver")
		Expect(got.Load()).To(BeEquivalentTo(res.Final["sink"].Successes), "the receiver got what the registry reports delivered")
	}, SpecTimeout(5*time.Minute))
})
