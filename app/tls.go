package app

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"

	"github.com/hookbench/hookbench/config"
)

// tlsConfig loads http.tls: the certificate and key, the client CAs
// (mTLS), the minimum version and cipher suites, as Distribution does.
func tlsConfig(t *config.TLS) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(t.Certificate, t.Key)
	if err != nil {
		return nil, fmt.Errorf("http.tls.certificate/key: %w", err)
	}
	c := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if t.MinimumTLS != "" {
		v, ok := config.TLSVersions[t.MinimumTLS]
		if !ok {
			return nil, fmt.Errorf("http.tls.minimumtls: unknown version %q", t.MinimumTLS)
		}
		c.MinVersion = v
	}
	for i, name := range t.CipherSuites {
		cs, ok := config.CipherSuite(name)
		if !ok {
			return nil, fmt.Errorf("http.tls.ciphersuites[%d]: unknown cipher suite %q", i, name)
		}
		c.CipherSuites = append(c.CipherSuites, cs.ID)
	}
	if len(t.ClientCAs) > 0 {
		pool := x509.NewCertPool()
		for i, path := range t.ClientCAs {
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("http.tls.clientcas[%d]: %w", i, err)
			}
			if !pool.AppendCertsFromPEM(data) {
				return nil, fmt.Errorf("http.tls.clientcas[%d]: %s holds no PEM certificate", i, path)
			}
		}
		c.ClientCAs = pool
		c.ClientAuth = tls.RequireAndVerifyClientCert
		if t.ClientAuth == "verify-client-cert-if-given" {
			c.ClientAuth = tls.VerifyClientCertIfGiven
		}
	}
	return c, nil
}

// http2Suites reports whether c allows a cipher suite HTTP/2 requires.
func http2Suites(c *tls.Config) bool {
	if len(c.CipherSuites) == 0 || c.MinVersion >= tls.VersionTLS13 {
		return true
	}
	for _, id := range c.CipherSuites {
		if id == tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 || id == tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 {
			return true
		}
	}
	return false
}

// withHeaders adds http.headers to every response (Distribution's sample
// config sets X-Content-Type-Options: nosniff).
func withHeaders(h http.Handler, headers http.Header) http.Handler {
	if len(headers) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dst := w.Header()
		for k, vs := range headers {
			for _, v := range vs {
				dst.Add(k, v)
			}
		}
		h.ServeHTTP(w, r)
	})
}
