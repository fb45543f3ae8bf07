// Command token-issuer is a small Docker token issuer for tests and
// development (see fakes/tokenissuer): it makes a signing key at start,
// writes what a registry's auth.token needs to trust it, and serves
// tokens at every path.
//
//	token-issuer -addr 127.0.0.1:5050 -service my-registry \
//	  -user alice:secret -grant 'alice:repository:team/*:pull,push' \
//	  -rootcertbundle /tmp/issuer.pem -jwks /tmp/issuer-jwks.json
//
// Then set auth.token.realm to http://127.0.0.1:5050/token, service and
// issuer to the flags' values, and rootcertbundle (or jwks) to the file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hookbench/hookbench/fakes/tokenissuer"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("token-issuer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:5050", "listen address (port 0 picks one; the address is printed)")
	issuer := fs.String("issuer", "hookbench-token-issuer", "iss claim (the registry's auth.token.issuer)")
	service := fs.String("service", "hookbench-registry", "the service (audience) tokens are for (auth.token.service)")
	ttl := fs.Duration("ttl", 5*time.Minute, "token lifetime")
	bundle := fs.String("rootcertbundle", "", "write the signing certificate here (auth.token.rootcertbundle)")
	jwks := fs.String("jwks", "", "write the signing key as a JWKS here (auth.token.jwks)")
	header := fs.String("key-header", "kid", "how tokens name their key: kid, x5c or libtrust")
	useRSA := fs.Bool("rsa", false, "sign with RSA (RS256) instead of P-256 (ES256)")
	var users, grants list
	fs.Var(&users, "user", "user:password (repeatable)")
	fs.Var(&grants, "grant", "user:type:name-pattern:actions, e.g. 'alice:repository:team/*:pull,push' or 'admin:registry:catalog:*'; user * is any user (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	opts := []tokenissuer.Option{tokenissuer.WithIssuer(*issuer), tokenissuer.WithService(*service), tokenissuer.WithTTL(*ttl)}
	for _, u := range users {
		name, pw, ok := strings.Cut(u, ":")
		if !ok || name == "" {
			fmt.Fprintf(stderr, "token-issuer: -user %q: want user:password\n", u)
			return 2
		}
		opts = append(opts, tokenissuer.WithUser(name, pw))
	}
	for _, s := range grants {
		g, err := tokenissuer.ParseGrant(s)
		if err != nil {
			fmt.Fprintln(stderr, "token-issuer: -grant:", err)
			return 2
		}
		opts = append(opts, tokenissuer.WithGrant(g))
	}
	switch *header {
	case "kid":
	case "x5c":
		opts = append(opts, tokenissuer.WithKeyHeader(tokenissuer.X5C))
	case "libtrust":
		opts = append(opts, tokenissuer.WithKeyHeader(tokenissuer.LibtrustKID))
	default:
		fmt.Fprintf(stderr, "token-issuer: -key-header %q: want kid, x5c or libtrust\n", *header)
		return 2
	}
	if *useRSA {
		opts = append(opts, tokenissuer.WithRSA())
	}
	iss, err := tokenissuer.New(opts...)
	if err != nil {
		fmt.Fprintln(stderr, "token-issuer:", err)
		return 1
	}
	for _, f := range []struct {
		path, flag string
		data       []byte
	}{{*bundle, "rootcertbundle", iss.RootCertPEM()}, {*jwks, "jwks", iss.JWKS()}} {
		if f.path == "" {
			continue
		}
		if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
			fmt.Fprintf(stderr, "token-issuer: -%s: %v\n", f.flag, err)
			return 1
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "token-issuer: -addr:", err)
		return 1
	}
	srv := &http.Server{Handler: iss, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "token-issuer listening on http://%s/token service=%s issuer=%s\n", ln.Addr(), *service, *issuer)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		return 0
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(stderr, "token-issuer:", err)
			return 1
		}
		return 0
	}
}
