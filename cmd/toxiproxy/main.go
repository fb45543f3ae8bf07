// Command toxiproxy is Shopify's toxiproxy server built from the library, so
// the docker runtime can put it in a FROM scratch image (no image can be
// pulled where the e2e specs run). It listens on -host/-port (default
// 0.0.0.0:8474); proxies and toxics are created through its HTTP API.
package main

import (
	"flag"
	"os"
	"os/signal"
	"syscall"

	"github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

func main() {
	host := flag.String("host", "0.0.0.0", "address of the API")
	port := flag.String("port", "8474", "port of the API")
	flag.Parse()

	// docker stop sends SIGTERM; PID 1 gets no default handler.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() { <-sig; os.Exit(0) }()

	logger := zerolog.New(os.Stdout).With().Timestamp().Logger().Level(zerolog.InfoLevel)
	server := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), logger)
	server.Listen(*host, *port)
}
