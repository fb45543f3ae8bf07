package app

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"

	"github.com/hookbench/hookbench/config"
	"github.com/hookbench/hookbench/fakes/tokenissuer"
)

// pki writes a CA, a server certificate for 127.0.0.1 and a client
// certificate into a temp dir.
type pki struct {
	ca                    *tokenissuer.CA
	dir                   string
	caPath, cert, key     string
	clientCert, clientKey string
	client                tls.Certificate
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	ca, err := tokenissuer.NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{ca: ca, dir: t.TempDir()}
	p.caPath = filepath.Join(p.dir, "ca.pem")
	if err := os.WriteFile(p.caPath, ca.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := ca.Server("127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	if p.cert, p.key, err = srv.Write(p.dir, "server"); err != nil {
		t.Fatal(err)
	}
	cl, err := ca.Client("alice")
	if err != nil {
		t.Fatal(err)
	}
	if p.clientCert, p.clientKey, err = cl.Write(p.dir, "client"); err != nil {
		t.Fatal(err)
	}
	if p.client, err = cl.TLS(); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *pki) httpClient(cfg *tls.Config) *http.Client {
	if cfg.RootCAs == nil {
		cfg.RootCAs = p.ca.Pool()
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}, Timeout: 10 * time.Second}
}

// force sends cert whatever CAs the server names (Go's client otherwise
// sends no certificate that does not chain to them).
func force(cert tls.Certificate) *tls.Config {
	return &tls.Config{GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }}
}

func get(t *testing.T, c *http.Client, url string, header ...string) (*http.Response, error) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

const base = "version: 0.1\nlog:\n  level: error\nstorage:\n  inmemory:\nhttp:\n  addr: 127.0.0.1:0\n"

func TestTLSServes(t *testing.T) {
	p := newPKI(t)
	a := startApp(t, base+fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n  headers:\n    X-Content-Type-Options: [nosniff]\n    X-Multi: [a, b]\n  prefix: /reg/\n", p.cert, p.key))

	resp, err := get(t, p.httpClient(&tls.Config{}), "https://"+a.Addr()+"/reg/v2/")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("status %d tls %+v", resp.StatusCode, resp.TLS)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || strings.Join(resp.Header.Values("X-Multi"), ",") != "a,b" {
		t.Errorf("headers %v", resp.Header)
	}
	if resp.ProtoMajor != 2 {
		t.Errorf("proto %s, want HTTP/2 over TLS as Distribution", resp.Proto)
	}
	// Headers on errors too, and no API outside the prefix.
	resp, err = get(t, p.httpClient(&tls.Config{}), "https://"+a.Addr()+"/v2/")
	if err != nil || resp.StatusCode != 404 || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("outside prefix: %v %v", resp, err)
	}
	// Plain HTTP is not served.
	if resp, err := http.Get("http://" + a.Addr() + "/reg/v2/"); err == nil && resp.StatusCode == 200 {
		t.Fatal("plain HTTP answered 200")
	}
	// Below the default minimum (TLS 1.2) the handshake fails.
	if _, err := get(t, p.httpClient(&tls.Config{MaxVersion: tls.VersionTLS11}), "https://"+a.Addr()+"/reg/v2/"); err == nil {
		t.Fatal("TLS 1.1 accepted with the default minimumtls")
	}
}

func TestTLSMinimumAndCiphers(t *testing.T) {
	p := newPKI(t)
	a := startApp(t, base+fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n    minimumtls: tls1.3\n", p.cert, p.key))
	if _, err := get(t, p.httpClient(&tls.Config{MaxVersion: tls.VersionTLS12}), "https://"+a.Addr()+"/v2/"); err == nil {
		t.Fatal("TLS 1.2 accepted with minimumtls tls1.3")
	}
	resp, err := get(t, p.httpClient(&tls.Config{}), "https://"+a.Addr()+"/v2/")
	if err != nil || resp.TLS.Version != tls.VersionTLS13 {
		t.Fatalf("TLS 1.3: %v", err)
	}

	b := startApp(t, base+fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n    ciphersuites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n", p.cert, p.key))
	only128 := &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}
	if _, err := get(t, p.httpClient(only128), "https://"+b.Addr()+"/v2/"); err == nil {
		t.Fatal("a suite outside ciphersuites was negotiated")
	}
	resp, err = get(t, p.httpClient(&tls.Config{MaxVersion: tls.VersionTLS12}), "https://"+b.Addr()+"/v2/")
	if err != nil || resp.TLS.CipherSuite != tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 {
		t.Fatalf("configured suite: %v %v", resp, err)
	}
	// HTTP/2 needs an AES-128-GCM suite; without one, HTTP/1.1 is served.
	if resp.ProtoMajor != 1 {
		t.Errorf("proto %s", resp.Proto)
	}

	c := startApp(t, base+fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n  http2:\n    disabled: true\n", p.cert, p.key))
	if resp, err := get(t, p.httpClient(&tls.Config{}), "https://"+c.Addr()+"/v2/"); err != nil || resp.ProtoMajor != 1 {
		t.Fatalf("http2.disabled: %v %v", resp, err)
	}
}

func TestMutualTLS(t *testing.T) {
	p := newPKI(t)
	other, err := tokenissuer.NewCA("other CA")
	if err != nil {
		t.Fatal(err)
	}
	stranger, _ := other.Client("mallory")
	strangerCert, _ := stranger.TLS()
	a := startApp(t, base+fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n    clientcas: [%s]\n", p.cert, p.key, p.caPath))
	url := "https://" + a.Addr() + "/v2/"
	if _, err := get(t, p.httpClient(&tls.Config{}), url); err == nil {
		t.Fatal("no client certificate accepted")
	}
	if _, err := get(t, p.httpClient(force(strangerCert)), url); err == nil {
		t.Fatal("client certificate of another CA accepted")
	}
	resp, err := get(t, p.httpClient(&tls.Config{Certificates: []tls.Certificate{p.client}}), url)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("with client certificate: %v %v", resp, err)
	}

	// verify-client-cert-if-given: none is fine, a bad one is not.
	b := startApp(t, base+fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n    clientcas: [%s]\n    clientauth: verify-client-cert-if-given\n", p.cert, p.key, p.caPath))
	if resp, err := get(t, p.httpClient(&tls.Config{}), "https://"+b.Addr()+"/v2/"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("if-given without a certificate: %v", err)
	}
	if _, err := get(t, p.httpClient(force(strangerCert)), "https://"+b.Addr()+"/v2/"); err == nil {
		t.Fatal("if-given: a certificate of another CA accepted")
	}
}

func TestTLSAndTokenErrors(t *testing.T) {
	p := newPKI(t)
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "x")
	_ = os.WriteFile(notPEM, []byte("x"), 0o600)
	cases := []struct{ name, yml, want string }{
		{"missing certificate file", fmt.Sprintf("  tls:\n    certificate: %s/none.crt\n    key: %s\n", dir, p.key), "http.tls.certificate/key"},
		{"key of another certificate", fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n", p.cert, p.clientKey), "http.tls.certificate/key"},
		{"client CA not PEM", fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n    clientcas: [%s]\n", p.cert, p.key, notPEM), "http.tls.clientcas[0]"},
		{"client CA missing", fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n    clientcas: [%s/none]\n", p.cert, p.key, dir), "http.tls.clientcas[0]"},
		{"rootcertbundle missing", fmt.Sprintf("auth:\n  token:\n    realm: http://a/t\n    service: s\n    issuer: i\n    rootcertbundle: %s/none\n", dir), "auth.token.rootcertbundle"},
		{"jwks not JSON", fmt.Sprintf("auth:\n  token:\n    realm: http://a/t\n    service: s\n    issuer: i\n    jwks: %s\n", notPEM), "auth.token.jwks"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, err := config.Parse([]byte(base+tc.yml), nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = New(cfg, WithLogger(slog.New(slog.DiscardHandler)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// Token auth end to end over TLS: challenge, token from the issuer, push,
// and the token's subject as the events' actor.
func TestTokenAuthOverTLS(t *testing.T) {
	p := newPKI(t)
	g, _ := tokenissuer.ParseGrant("alice:repository:team/*:pull,push")
	iss, err := tokenissuer.New(tokenissuer.WithUser("alice", "pw"), tokenissuer.WithGrant(g))
	if err != nil {
		t.Fatal(err)
	}
	issSrv := httptest.NewServer(iss)
	defer issSrv.Close()
	bundle := filepath.Join(p.dir, "issuer.pem")
	_ = os.WriteFile(bundle, iss.RootCertPEM(), 0o600)
	rcv := newReceiver(t)
	yml := base + fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\nauth:\n  token:\n    realm: %s/token\n    service: %s\n    issuer: %s\n    rootcertbundle: %s\n"+
		"notifications:\n  endpoints:\n    - name: hook\n      url: %s/cb\n      backoff: 50ms\n",
		p.cert, p.key, issSrv.URL, iss.Service(), iss.Name(), bundle, rcv.srv.URL)
	a := startApp(t, yml)
	c := p.httpClient(&tls.Config{})
	api := "https://" + a.Addr()

	resp, err := get(t, c, api+"/v2/team/app/tags/list")
	if err != nil {
		t.Fatal(err)
	}
	ch := resp.Header.Get("WWW-Authenticate")
	want := fmt.Sprintf(`Bearer realm="%s/token",service="%s",scope="repository:team/app:pull"`, issSrv.URL, iss.Service())
	if resp.StatusCode != 401 || ch != want || resp.Header.Get("Docker-Distribution-API-Version") != "registry/2.0" {
		t.Fatalf("challenge %d %q", resp.StatusCode, ch)
	}
	token := func(scope string) string {
		req, _ := http.NewRequest("GET", issSrv.URL+"/token?service="+iss.Service()+"&scope="+url.QueryEscape(scope), nil)
		req.SetBasicAuth("alice", "pw")
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		var body struct{ Token string }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return body.Token
	}
	pull := token("repository:team/app:pull")
	// A pull token does not push.
	req, _ := http.NewRequest("POST", api+"/v2/team/app/blobs/uploads/", nil)
	req.Header.Set("Authorization", "Bearer "+pull)
	r, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 401 || !strings.Contains(r.Header.Get("WWW-Authenticate"), `scope="repository:team/app:pull,push",error="insufficient_scope"`) {
		t.Fatalf("push with pull token: %d %q", r.StatusCode, r.Header.Get("WWW-Authenticate"))
	}
	// Out-of-grant repository: the issuer grants nothing, the registry refuses.
	other := token("repository:other:pull")
	if resp, _ := get(t, c, api+"/v2/other/tags/list", "Authorization", "Bearer "+other); resp.StatusCode != 401 {
		t.Fatalf("other repository: %d", resp.StatusCode)
	}
	push := token("repository:team/app:pull,push")
	data := []byte("hello")
	req, _ = http.NewRequest("POST", api+"/v2/team/app/blobs/uploads/?digest="+digestOf(data), strings.NewReader(string(data)))
	req.Header.Set("Authorization", "Bearer "+push)
	r, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 201 {
		t.Fatalf("push: %d", r.StatusCode)
	}
	g2 := gomega.NewWithT(t)
	g2.Eventually(rcv.count, 5*time.Second, 10*time.Millisecond).Should(gomega.Equal(1))
	rcv.mu.Lock()
	ev := rcv.events[0]
	rcv.mu.Unlock()
	actor, _ := ev["actor"].(map[string]any)
	target, _ := ev["target"].(map[string]any)
	if actor["name"] != "alice" || !strings.HasPrefix(fmt.Sprint(target["url"]), "https://") {
		t.Fatalf("event actor %v target %v", actor, target)
	}
	if errors.Is(err, nil) && iss.Issued() != 3 {
		t.Fatalf("issued %d", iss.Issued())
	}
}

// With http.prefix and http.host, event target URLs carry the prefix.
func TestPrefixInTargetURLs(t *testing.T) {
	rcv := newReceiver(t)
	a := startApp(t, base+"  host: https://registry.example\n  prefix: /reg/\nnotifications:\n  endpoints:\n    - name: hook\n      url: "+rcv.srv.URL+"/cb\n      backoff: 50ms\n")
	data := []byte("x")
	if r := do(t, "POST", "http://"+a.Addr()+"/reg/v2/team/app/blobs/uploads/?digest="+digestOf(data), data); r.StatusCode != 201 {
		t.Fatalf("push: %d", r.StatusCode)
	}
	gomega.NewWithT(t).Eventually(rcv.count, 5*time.Second, 10*time.Millisecond).Should(gomega.Equal(1))
	rcv.mu.Lock()
	target, _ := rcv.events[0]["target"].(map[string]any)
	rcv.mu.Unlock()
	if want := "https://registry.example/reg/v2/team/app/blobs/" + digestOf(data); target["url"] != want {
		t.Fatalf("target url %v, want %s", target["url"], want)
	}
}
