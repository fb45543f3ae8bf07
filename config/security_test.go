package config

import (
	"net/http"
	"strings"
	"testing"
)

func TestTLSAndTokenKeys(t *testing.T) {
	yaml := minimal + `http:
  prefix: /registry/
  headers:
    X-Content-Type-Options: [nosniff]
  tls:
    certificate: /c.pem
    key: /k.pem
    clientcas: [/ca1.pem, /ca2.pem]
    minimumtls: tls1.3
    ciphersuites: [TLS_AES_128_GCM_SHA256]
auth:
  token:
    realm: https://auth.example/token
    service: registry.example
    issuer: issuer.example
    rootcertbundle: /bundle.pem
    jwks: /jwks.json
`
	cfg, warnings, err := Parse([]byte(yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings = %q", warnings)
	}
	tl := cfg.HTTP.TLS
	if tl == nil || tl.Certificate != "/c.pem" || tl.Key != "/k.pem" || len(tl.ClientCAs) != 2 ||
		tl.MinimumTLS != "tls1.3" || tl.ClientAuth != "require-and-verify-client-cert" || tl.CipherSuites[0] != "TLS_AES_128_GCM_SHA256" {
		t.Errorf("tls = %+v", tl)
	}
	if cfg.HTTP.Prefix != "/registry/" || cfg.HTTP.Headers.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("prefix %q headers %v", cfg.HTTP.Prefix, cfg.HTTP.Headers)
	}
	tok := cfg.Auth.Token
	if tok == nil || tok.Realm != "https://auth.example/token" || tok.Service != "registry.example" ||
		tok.Issuer != "issuer.example" || tok.RootCertBundle != "/bundle.pem" || tok.JWKS != "/jwks.json" || tok.AutoRedirect {
		t.Errorf("token = %+v", tok)
	}

	cfg, _, err = Parse([]byte(minimal+"http:\n  tls:\n    certificate: /c\n    key: /k\nauth:\n  token:\n    autoredirect: true\n    service: s\n    issuer: i\n    jwks: /j\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.TLS.MinimumTLS != "tls1.2" || cfg.HTTP.TLS.ClientAuth != "" || cfg.Auth.Token.AutoRedirectPath != "/auth/token" {
		t.Errorf("defaults: tls %+v token %+v", cfg.HTTP.TLS, cfg.Auth.Token)
	}

	_, _, err = Parse([]byte(minimal), []string{"REGISTRY_HTTP_HEADERS_STRICT_TRANSPORT_SECURITY=max-age=31536000"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, _ = Parse([]byte(minimal), []string{"REGISTRY_HTTP_HEADERS_STRICT_TRANSPORT_SECURITY=max-age=31536000"})
	if got := cfg.HTTP.Headers[http.CanonicalHeaderKey("Strict-Transport-Security")]; len(got) != 1 || got[0] != "max-age=31536000" {
		t.Errorf("header from env = %q", got)
	}
}

// Keys that change security or where data goes must never be ignored.
func TestSecurityKeyErrors(t *testing.T) {
	tlsOK := "http:\n  tls:\n    certificate: /c\n    key: /k\n"
	token := func(body string) string { return minimal + "auth:\n  token:\n" + body }
	cases := []struct{ name, yaml, want string }{
		{"tls without key", minimal + "http:\n  tls:\n    certificate: /c\n", "http.tls.key: missing"},
		{"tls without certificate", minimal + "http:\n  tls:\n    key: /k\n", "http.tls.certificate: missing"},
		{"letsencrypt", minimal + "http:\n  tls:\n    letsencrypt:\n      email: a@b\n", "http.tls.letsencrypt: Let's Encrypt is not supported"},
		{"bad minimumtls", minimal + tlsOK + "    minimumtls: tls12\n", `http.tls.minimumtls: unknown version "tls12"`},
		{"bad cipher", minimal + tlsOK + "    ciphersuites: [TLS_NOPE]\n", `http.tls.ciphersuites[0]: unknown cipher suite "TLS_NOPE"`},
		{"cipher below minimum", minimal + tlsOK + "    minimumtls: tls1.3\n    ciphersuites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n", "http.tls.ciphersuites[0]: \"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\" is not usable with minimumtls tls1.3"},
		{"bad clientauth", minimal + tlsOK + "    clientcas: [/ca]\n    clientauth: maybe\n", `http.tls.clientauth: unknown mode "maybe"`},
		{"clientauth without cas", minimal + tlsOK + "    clientauth: verify-client-cert-if-given\n", "http.tls.clientauth: needs http.tls.clientcas"},
		{"debug tls", minimal + "http:\n  debug:\n    tls:\n      certificate: /c\n", "http.debug.tls: TLS on the debug server is not supported"},
		{"unix socket", minimal + "http:\n  net: unix\n", "http.net: unix sockets are not supported"},
		{"prefix without slash", minimal + "http:\n  prefix: registry\n", `http.prefix: "registry" must be a path`},
		{"header with newline", minimal + "http:\n  headers:\n    X-A: [\"a\\nb\"]\n", "http.headers.X-A: value must not contain a line break"},
		{"token without service", token("    realm: https://a/t\n    issuer: i\n    jwks: /j\n"), "auth.token.service: missing"},
		{"token without issuer", token("    realm: https://a/t\n    service: s\n    jwks: /j\n"), "auth.token.issuer: missing"},
		{"token without realm", token("    service: s\n    issuer: i\n    jwks: /j\n"), "auth.token.realm: missing"},
		{"token realm not a URL", token("    realm: auth\n    service: s\n    issuer: i\n    jwks: /j\n"), "auth.token.realm:"},
		{"token without keys", token("    realm: https://a/t\n    service: s\n    issuer: i\n"), "auth.token: needs rootcertbundle or jwks"},
		{"token signing algorithms", token("    realm: https://a/t\n    service: s\n    issuer: i\n    jwks: /j\n    signingalgorithms: [EdDSA]\n"), "auth.token.signingalgorithms: not supported"},
		{"token and htpasswd", token("    realm: https://a/t\n    service: s\n    issuer: i\n    jwks: /j\n  htpasswd:\n    path: /h\n"), "auth: more than one auth scheme"},
		{"silly auth", minimal + "auth:\n  silly:\n    realm: r\n", "auth.silly: silly auth is not supported"},
		{"proxy", minimal + "proxy:\n  remoteurl: https://registry-1.docker.io\n", "proxy: pull-through cache mode is not supported"},
		{"middleware", minimal + "middleware:\n  storage:\n    - name: cloudfront\n", "middleware: middleware (registry, repository, storage) is not supported"},
		{"validation", minimal + "validation:\n  manifests:\n    urls:\n      allow: ['^https://']\n", "validation: manifest validation rules"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Parse([]byte(tc.yaml), nil)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\ndoes not contain %q", err, tc.want)
			}
		})
	}
}

func TestTLSAndTokenFromEnv(t *testing.T) {
	cfg, _, err := Parse([]byte(minimal), []string{
		"REGISTRY_HTTP_TLS_CERTIFICATE=/c", "REGISTRY_HTTP_TLS_KEY=/k", "REGISTRY_HTTP_TLS_CLIENTCAS=[/a, /b]",
		"REGISTRY_AUTH_TOKEN_REALM=https://x/t", "REGISTRY_AUTH_TOKEN_SERVICE=s", "REGISTRY_AUTH_TOKEN_ISSUER=i",
		"REGISTRY_AUTH_TOKEN_JWKS=/j", "REGISTRY_AUTH_TOKEN_AUTOREDIRECT=true",
	})
	if err != nil {
		t.Fatal(err)
	}
	if tl := cfg.HTTP.TLS; tl.Certificate != "/c" || tl.Key != "/k" || len(tl.ClientCAs) != 2 {
		t.Errorf("tls %+v", tl)
	}
	if tok := cfg.Auth.Token; tok.Realm != "https://x/t" || tok.JWKS != "/j" || !tok.AutoRedirect {
		t.Errorf("token %+v", tok)
	}
}
