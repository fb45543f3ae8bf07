// Command balancer is the cluster topology's round-robin reverse proxy
// (package harness/balancer), as a program for a FROM scratch image:
//
//	balancer --addr :8080 --backend http://replica-0:5000 --backend http://replica-1:5000
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/hookbench/hookbench/harness/balancer"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	timeout := flag.Duration("timeout", 60*time.Second, "bound of one proxied request")
	var backends list
	flag.Var(&backends, "backend", "backend base URL (repeat)")
	flag.Parse()
	b, err := balancer.New(backends, balancer.WithTimeout(*timeout))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	slog.Info("balancer", "addr", *addr, "backends", backends.String())
	srv := &http.Server{Addr: *addr, Handler: b, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
